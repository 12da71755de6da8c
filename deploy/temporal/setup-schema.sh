#!/bin/sh
# Creates or upgrades Temporal's schemas in PostgreSQL (run by temporalio/admin-tools).
set -eu
tool() {
    temporal-sql-tool --plugin postgres12 --ep postgresql -p 5432 \
        -u "$POSTGRES_USER" --pw "$POSTGRES_PWD" --db "$1" "$2" "$3" "$4"
}
for db in temporal temporal_visibility; do
    kind=$([ "$db" = temporal ] && echo temporal || echo visibility)
    temporal-sql-tool --plugin postgres12 --ep postgresql -p 5432 \
        -u "$POSTGRES_USER" --pw "$POSTGRES_PWD" --db "$db" create || true
    tool "$db" setup-schema -v 0.0
    tool "$db" update-schema -d "/etc/temporal/schema/postgresql/v12/$kind/versioned"
done
echo "Temporal schemas are up to date"
