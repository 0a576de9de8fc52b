"""Bank account identifiers: IBANs and UK sort code with account number."""

from __future__ import annotations

import re
from typing import ClassVar

from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from maxim.domain.identifiers.base import IdentifierType, InvalidIdentifier, compact

_IBAN_SHAPE = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{1,30}")


class Iban(IdentifierType):
    """An IBAN in compact form (`GB33BUKB20201555555555`), checked by schwifty.

    Only country structure and check digits are tested; whether the bank exists is not.
    """

    kind: ClassVar[str] = "iban"
    label: ClassVar[str] = "IBAN"
    strong: ClassVar[bool] = True

    def clean(self, text: str) -> str:
        code = compact(text)
        if code.startswith("IBAN"):
            code = code[4:].lstrip(":")
        if not _IBAN_SHAPE.fullmatch(code):
            raise InvalidIdentifier("not an IBAN: two letters, two check digits, then the account")
        try:
            return str(IBAN(code).compact)
        except (SchwiftyException, ValueError) as exc:
            raise InvalidIdentifier(f"not a valid IBAN: {exc}") from exc


# A sort code in three pairs (with a consistent -, space or nothing between), a separator,
# then the account number; `a/c`, `acc`, `account no:` may label the account.
_SORTCODE_ACCOUNT = re.compile(
    r"(?:sort\s*code\s*:?\s*)?"
    r"([0-9]{2})([-\s.]?)([0-9]{2})\2([0-9]{2})"
    r"(?:\s*[,;/:|]\s*|\s+)"
    r"(?:(?:a/c|acc(?:ount)?)\.?(?:\s*(?:no\.?|number))?\s*[:#]?\s*)?"
    r"([0-9]+)",
    re.IGNORECASE | re.ASCII,
)


class SortcodeAccount(IdentifierType):
    """A UK sort code and account number, canonically `12-34-56 12345678`.

    UK account numbers are 8 digits. Following the Pay.UK (Vocalink) account-validation
    convention, shorter 7- and 6-digit account numbers are padded with leading zeros to
    8; 9- and 10-digit ones need bank-specific conversion and are reported, not guessed.
    The modulus check of the account itself needs Pay.UK's weight table and is not done.
    """

    kind: ClassVar[str] = "sortcode_account"
    label: ClassVar[str] = "Sort code and account number"
    strong: ClassVar[bool] = True

    def clean(self, text: str) -> str:
        match = _SORTCODE_ACCOUNT.fullmatch(text.strip())
        if match is None:
            raise InvalidIdentifier("not a sort code and account number, e.g. 12-34-56 12345678")
        first, _, second, third, account = match.groups()
        if len(account) in (9, 10):
            raise InvalidIdentifier(f"{len(account)}-digit account numbers need the bank's own conversion to 8 digits")
        if not 6 <= len(account) <= 8:
            raise InvalidIdentifier("a UK account number has 8 digits (6 or 7 are padded)")
        return f"{first}-{second}-{third} {account.zfill(8)}"
