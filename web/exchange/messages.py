"""Arabic (and English) wording of the import report's problems and suggestions.

The importer (``data/io``) writes its findings in English for the CLI and the CSV report; the
pages show them in the user's language by recognising each known sentence here.
"""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l

__all__ = ["file_error", "localize"]

# (pattern of the English sentence, translatable message with the same named values)
PROBLEMS = [(re.compile(p), m) for p, m in (
    (r"^unknown place name$", _l("unknown place name")),
    (r"^no place given$", _l("no place given")),
    (r"^ambiguous place name: (?P<options>.+)$", _l("ambiguous place name: %(options)s")),
    (r"^unknown admin(?P<level>\d) p-code$", _l("unknown admin%(level)s p-code")),
    (r"^unknown admin(?P<level>\d) p-code; the row is placed in (?P<pcode>\S+)$",
     _l("unknown admin%(level)s p-code; the row is placed in %(pcode)s")),
    (r"^unknown sub-district name; the row is placed in (?P<pcode>\S+)$",
     _l("unknown sub-district name; the row is placed in %(pcode)s")),
    (r"^p-code (?P<a>\S+) does not lie inside (?P<b>\S+)$",
     _l("p-code %(a)s does not lie inside %(b)s")),
    (r"^month '(?P<value>.*)' has no year$", _l("month '%(value)s' has no year")),
    (r"^year (?P<year>\d+) in '(?P<value>.*)' is not plausible \(expected 2000-2100\)$",
     _l("year %(year)s in '%(value)s' is not plausible (expected 2000-2100)")),
    (r"^'(?P<value>.*)' is not a calendar date$", _l("'%(value)s' is not a calendar date")),
    (r"^'(?P<value>.*)' is not a date or month$", _l("'%(value)s' is not a date or month")),
    (r"^end date before start date$", _l("end date before start date")),
    (r"^'(?P<value>.*)' is not a number$", _l("'%(value)s' is not a number")),
    (r"^'(?P<value>.*)' is negative$", _l("'%(value)s' is negative")),
    (r"^people reached must be a whole number$", _l("people reached must be a whole number")),
    (r"^the sex/age breakdown \((?P<n>\d+)\) exceeds the total$",
     _l("the sex/age breakdown (%(n)s) exceeds the total")),
    (r"^activity not found in the service taxonomy$",
     _l("activity not found in the service taxonomy")),
    (r"^service type inferred from the sector only \((?P<code>\w+)\)$",
     _l("service type inferred from the sector only (%(code)s)")),
    (r"^service type inferred from the cash transfer columns",
     _l("service type inferred from the cash transfer columns (no activity or sector given)")),
    (r"^no organisation given$", _l("no organisation given")),
    (r"^this row belongs to another organisation$",
     _l("this row belongs to another organisation")),
    (r"^organisation '(?P<name>.*)' is not registered here$",
     _l("organisation '%(name)s' is not registered here")),
    (r"^acronym '(?P<acr>.*)' is used by (?P<n>\d+) organisations: (?P<names>.*)$",
     _l("acronym '%(acr)s' is used by %(n)s organisations: %(names)s")),
    (r"^acronym '(?P<acr>.*)' is also used by (?P<names>.*); kept as a separate organisation$",
     _l("acronym '%(acr)s' is also used by %(names)s; kept as a separate organisation")),
    (r"^name '(?P<name>.*)' differs from '(?P<other>.*)'; matched by the acronym column "
     r"\((?P<acr>.*)\); review the alias$",
     _l("name '%(name)s' differs from '%(other)s'; matched by the acronym column (%(acr)s); "
        "review the alias")),
)]

SUGGESTIONS = {s: _l(s) for s in (
    "add the admin1 p-code", "add the admin2 p-code", "add the admin3 p-code",
    "add the admin1 p-code or correct the spelling",
    "add the admin2 p-code or correct the spelling",
    "add the admin3 p-code or correct the spelling",
    "use an OCHA COD-AB p-code", "fill the admin p-codes or names",
    "check the admin p-codes of this row", "give --period YYYY-MM",
    "correct the date (it was not guessed)", "check the dates", "write a whole number",
    "write a number", "check the breakdown columns", "give the activity or its code",
    "use an activity code such as GBV600 or CP2, or add the code to "
    "data/reference/service_types.csv",
    "write the organisation's name with its acronym, e.g. 'Name (ACR)'",
    "upload only your own organisation's rows", "confirm or correct the alias",
)}


def localize(text: str, kind: str = "problem") -> str:
    """``text`` (a problem or suggestion of the report) in the current language."""
    if kind == "suggestion":
        return str(SUGGESTIONS.get(text, text))
    for pattern, message in PROBLEMS:
        if m := pattern.match(text):
            return str(message) % m.groupdict() if m.groupdict() else str(message)
    return text


# Whole-file errors of the reader (data/io/reader.py, columns.py), as the upload page shows them.
FILE_ERRORS = [(re.compile(p, re.S), m) for p, m in (
    (r"^(?P<name>.+): the file is empty\.$", _l("%(name)s: the file is empty.")),
    (r"^(?P<name>.+): not UTF-8 text \((?P<why>.+)\); save the file as 'CSV UTF-8'",
     _l("%(name)s: the text is not UTF-8 (%(why)s); save the file as 'CSV UTF-8' and try "
        "again.")),
    (r"^(?P<name>.+): not a readable XLSX workbook",
     _l("%(name)s: not a readable XLSX workbook; save it again from the spreadsheet program.")),
    (r"^(?P<name>.+): not a readable CSV file", _l("%(name)s: not a readable CSV file.")),
    (r"^(?P<name>.+): no sheet named (?P<sheet>.+); sheets: (?P<names>.+)\.$",
     _l("%(name)s: no sheet named %(sheet)s; sheets: %(names)s.")),
    (r"^(?P<name>.+): no sheet has recognisable 4W columns\.$",
     _l("%(name)s: no sheet has recognisable 4W columns.")),
    (r"^(?P<name>.+): no header row found\.$", _l("%(name)s: no header row found.")),
    (r"^no recognisable 4W columns",
     _l("no recognisable 4W columns: the file needs an organisation column (#org, "
        "implementing_partner, ...) and a place column (#adm1+code, admin3pcode, governorate, "
        "...).")),
)]


def file_error(message: str, stored: str, name: str) -> str:
    """A whole-file error of an upload, naming the file as the user uploaded it (not the
    random name it is stored under) and in the current language."""
    text = message.replace(stored, name or stored)
    for pattern, msg in FILE_ERRORS:
        if m := pattern.match(text):
            return str(msg) % m.groupdict() if m.groupdict() else str(msg)
    return text
