"""How Indonesian banks write a transfer's description, as Moota passes it on.

Written from the patterns of BCA (KlikBCA / myBCA: `TRSF E-BANKING CR dd/mm/...`,
`SWITCHING CR`, `KR OTOMATIS LLG`, BI-FAST), Mandiri (Livin' and MCM: `SA OB`,
`MCM InhouseTrf`, `Transfer BI Fast Dari`), BRI (BRImo `NBMB`, `IBIZ`, ATM
`TRF PRIMA`) and BNI (`TRANSFER DARI | PEMINDAHAN DARI`, `TRF/PAY/TOP-UP
ECHANNEL`). The customer's own words (the "berita") are what may carry our
order reference, mangled: case, separators, wrapped by a fixed-width field.

Placeholders: {ref} as we print it, {compact} without separators, {lower},
{spaced}, {dotted}, {underscored}, {wrapped} (a space inside the code where
the bank's field wrapped), {typed} (0 typed as O, 1 as I), {amount} the
transferred amount as the bank prints it, {other} a reference of an order on
another account.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class BankText:
    bank: str
    template: str
    # Transferred amount minus the order's total.
    delta: int
    # "matched", or the flag reason.
    expected: str

    def render(self, ref: str, amount: int, other: str) -> str:
        code = ref.removeprefix("MF-").replace("-", "")
        return self.template.format(
            ref=ref,
            compact=ref.replace("-", ""),
            lower=ref.lower(),
            spaced=ref.replace("-", " "),
            dotted=ref.replace("-", "."),
            underscored=ref.replace("-", "_"),
            wrapped=f"MF-{code[:3]} {code[3:4]}-{code[4:]}",
            typed=ref.replace("0", "O").replace("1", "I"),
            amount=f"{amount}.00",
            other=other,
        )


BANK_TEXTS = [
    # BCA
    BankText("bca", "TRSF E-BANKING CR 2611/FTSCY/WS95031 {amount} RINA KARTIKA", 0, "matched"),
    BankText(
        "bca", "TRSF E-BANKING CR 2611/FTSCY/WS95031 {amount} {ref} RINA KARTIKA", 0, "matched"
    ),
    BankText("bca", "TRSF E-BANKING CR 2611/FTFVA/WS95051 {compact} {amount} RINA", 0, "matched"),
    BankText(
        "bca", "TRSF E-BANKING CR 2611/FTSCY/WS95031 {amount} BAYAR {wrapped} RINA", 0, "matched"
    ),
    BankText("bca", "SWITCHING CR TRANSFER DR 009 RINA KARTIKA {spaced}", 0, "matched"),
    BankText("bca", "BI-FAST CR BIF TRANSFER DR 014 RINA KARTIKA {lower}", 0, "matched"),
    BankText("bca", "KR OTOMATIS LLG-ANTAR BANK RINA KARTIKA {ref}", 0, "matched"),
    BankText("bca", "SETORAN TUNAI 2611/CSBCA/0521", 0, "matched"),
    # Short by Rp 100, naming the order.
    BankText("bca", "TRSF E-BANKING CR 2611/FTSCY/WS95031 {amount} {ref} RINA", -100, "underpaid"),
    # Mandiri
    BankText("mandiri", "SA OB 1370012345678 RINA KARTIKA {ref}", 0, "matched"),
    BankText(
        "mandiri", "MCM InhouseTrf CS-CS DARI RINA KARTIKA KE TOKO KOPI {compact}", 0, "matched"
    ),
    BankText("mandiri", "Transfer BI Fast Dari BCA 0061234567 RINA KARTIKA {lower}", 0, "matched"),
    BankText("mandiri", "TRANSFER DR 1370012345678 RINA KARTIKA BAYAR KOPI", 0, "matched"),
    BankText("mandiri", "SKN CR DARI BANK BRI RINA KARTIKA {dotted}", 0, "matched"),
    BankText("mandiri", "SA OB 1370012345678 RINA KARTIKA {ref}", 5000, "overpaid"),
    # BRI
    BankText("bri", "NBMB RINA KARTIKA TO TOKO KOPI SEJAHTERA {compact}", 0, "matched"),
    BankText("bri", "TRF PRIMA RINA KARTIKA 0061234567", 0, "matched"),
    BankText("bri", "IBIZ RINA KARTIKA {ref}", 0, "matched"),
    BankText("bri", "TRF BIFAST DR 014 RINA KARTIKA {underscored}", 0, "matched"),
    BankText("bri", "NBMB RINA KARTIKA TO TOKO KOPI {other}", 0, "wrong_account"),
    # BNI
    BankText(
        "bni", "TRANSFER DARI | PEMINDAHAN DARI 0123456789 RINA KARTIKA | {ref}", 0, "matched"
    ),
    BankText("bni", "TRF/PAY/TOP-UP ECHANNEL RINA KARTIKA {compact}", 0, "matched"),
    BankText("bni", "BIFAST TRANSFER DARI BCA RINA KARTIKA {amount}", 0, "matched"),
    BankText("bni", "TRANSFER DARI RINA KARTIKA {typed}", 0, "matched"),
    BankText("bni", "TRANSFER DARI RINA KARTIKA {ref} {other}", 0, "ambiguous"),
    # A name with "MF" in it, then the real reference.
    BankText("bni", "TRANSFER DARI ARIF MFAUZAN {compact}", 0, "matched"),
]
