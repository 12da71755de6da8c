-- One PostgreSQL server, separate databases: Temporal's two, and mootaflow's.
CREATE DATABASE mootaflow;
