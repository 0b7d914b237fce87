"""The ISO 3166-1 alpha-2 country codes a row's ``country`` may name.

:data:`ISO_3166_1_ALPHA2` holds the 249 officially assigned codes of ISO 3166-1 (ISO 3166
Maintenance Agency, https://www.iso.org/iso-3166-country-codes.html), as listed by Debian's
``iso-codes`` package 4.15.0 (``/usr/share/iso-codes/json/iso_3166-1.json``,
https://salsa.debian.org/iso-codes-team/iso-codes): codes only, no names. ``tests/
test_country_codes.py`` checks that every country of the catalog tables is one of them.

Two user-assigned codes are accepted as well (:data:`USER_ASSIGNED`): ``XK``, Kosovo, which has
no ISO code and whose grid the catalog holds under the code in common use (European Commission,
IMF), and ``ZZ``, what ``debug.grid_mix.country`` shows for the world average, so that a row may
send it back. :data:`COUNTRY_CODES` is what a row's ``country`` may be.

ISO's exceptionally reserved ``UK`` and ``EL`` are read as ``GB`` and ``GR``
(:data:`EXCEPTIONALLY_RESERVED`). Any other well-formed code ("XX", "EU") is a row error
(``invalid_field`` on ``country``): it names no country, and its grid would silently be the
world average. An
accepted country without grid data of its own keeps the world average, and the debug output
says so (``assumptions.location_resolved_by``: "world (no grid data for AQ)").
"""

from __future__ import annotations

WORLD_CODE = "ZZ"
USER_ASSIGNED = {"XK": "Kosovo", WORLD_CODE: "the world average"}
ISO_3166_1_ALPHA2: frozenset[str] = frozenset((
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX",
    "AZ", "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ",
    "BR", "BS", "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK",
    "CL", "CM", "CN", "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM",
    "DO", "DZ", "EC", "EE", "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR",
    "GA", "GB", "GD", "GE", "GF", "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS",
    "GT", "GU", "GW", "GY", "HK", "HM", "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN",
    "IO", "IQ", "IR", "IS", "IT", "JE", "JM", "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN",
    "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC", "LI", "LK", "LR", "LS", "LT", "LU", "LV",
    "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK", "ML", "MM", "MN", "MO", "MP", "MQ",
    "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA", "NC", "NE", "NF", "NG", "NI",
    "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG", "PH", "PK", "PL", "PM",
    "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW", "SA", "SB", "SC",
    "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS", "ST", "SV",
    "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO", "TR",
    "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
))  # fmt: skip
COUNTRY_CODES: frozenset[str] = ISO_3166_1_ALPHA2 | frozenset(USER_ASSIGNED)
# ISO 3166-1's exceptionally reserved codes that stand for one assigned country: UK, reserved
# at the United Kingdom's request (its code is GB), and EL, Greece in the European Union's usage
# (GR). ISO 3166 Maintenance Agency, "exceptionally reserved code elements".
EXCEPTIONALLY_RESERVED = {"UK": "GB", "EL": "GR"}


def country_code(text: str) -> str:
    """A row's country as its code: upper case, UK and EL as GB and GR."""
    code = text.upper()
    return EXCEPTIONALLY_RESERVED.get(code, code)
