#!/usr/bin/env python3
"""The six checks of benches/reference.rs (PC001, PC002, AD001, AD002, TP001, PC004) as DuckDB SQL
over the CSV files of a generated inventory: the yardstick of issue 17's target "the full default
packs on 1M users <= the time DuckDB needs for six of the checks".

    python3 benches/duckdb_checks.py DIR [--threads N]

Prints the findings per code as one JSON object, in the reference's format (keys sorted, no
spaces), so that benches/run.sh compares the two outputs as strings. Exit status 3: the duckdb
Python package is not installed (benches/run.sh installs it with pip, else skips DuckDB).

The semantics are those of the rule files and of reference.rs's module doc: keys compare without
case after trimming (SIP addresses also without a leading `sip:`), a lookup takes the first row of
its key, only judged users (`Enabled` True or a SIP address) are checked, the topology and chat
rules judge on-premises users (`HostingProvider` empty or `SRV:`), PC001/PC002 enabled ones (not
`Enabled` False), chat evidence is a room (Members, Managers, Presenters) or category
(AllowedMembers, Creators) listing of a chat pool of Version >= 6, PC002 resolves the effective
policy per user (`Tag:`), else the home registrar's `Site:` policy, else `Global`, and PC001 finds
the client by SIP address, else by UPN when the SIP address has no registration at all. `trim` is
Rust's (Unicode White_Space), AD001's pattern is the rule's with Rust's Unicode `\\s` spelled out
for RE2, AD002 drops the invisible characters reference.rs drops, and `num` accepts only Rust's
float syntax (DuckDB's cast alone would take `1_000`).

What it does NOT handle, unlike reference.rs and invlint (none of it occurs in the inventories of
examples/gen.rs without --utf16 / --semicolon):
- files are found by name, not recognised by header or `#TYPE`: exactly users.csv, registrars.csv,
  pchat-services.csv, pchat-policies.csv, rooms.csv, categories.csv and EndpointRegistrations.csv
  must be in DIR (no subfolders, no second users or registrations file, so none of invlint's
  cross-file objects; no plain Get-CsService export split into registrars and chat pools);
- every file must start with one line to skip (the `#TYPE` line of Export-Csv, BOM included) and
  then the header; no other encoding than UTF-8 (no UTF-16, no Windows-1252), `,` only (no
  delimiter sniffing);
- columns by their canonical names only (DuckDB matches them without case, but knows no aliases
  such as Pool or UPN and no header name with spaces around it), and every column a check reads
  must exist (no optional-columns: a users file without HostingProvider, Enabled or
  UserPrincipalName is an error, not a check without them);
- "the first row of a key" is the first in `row_number() OVER ()` order, the file's order for
  files as small as the registrars, chat pools and policies;
- non-ASCII keys lower-case with DuckDB's simple case mapping, Rust's `to_lowercase` with the full
  one (`İ` is `i` here, `i̇` there); a version part beyond 2^64 - 1 in a user agent other than the
  major is not rejected; PC004 takes a NaN version as equal to NaN (Rust does not).
"""

import json
import os
import sys

try:
    import duckdb
except ImportError:
    print("duckdb_checks.py: the duckdb Python package is not installed (pip install duckdb)",
          file=sys.stderr)
    sys.exit(3)

CODES = ["PC001", "PC002", "AD001", "AD002", "TP001", "PC004"]

FILES = {
    "users": "users.csv",
    "registrars": "registrars.csv",
    "chat_services": "pchat-services.csv",
    "chat_policies": "pchat-policies.csv",
    "rooms": "rooms.csv",
    "categories": "categories.csv",
    "registrations": "EndpointRegistrations.csv",
}

# Rust's `char::is_whitespace` (Unicode White_Space): what `trim` removes, and what separates the
# tokens of a user agent. DuckDB's one-argument trim removes spaces only.
WHITE_SPACE = ("\t\n\x0b\x0c\r \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B)))
               + "\u2028\u2029\u202f\u205f\u3000")
# The same as an RE2 class body (\p{Z} is Zs, Zl and Zp; \x0b and \x85 are not in RE2's \s).
WS = r"\s\x0b\x{85}\p{Z}"
# AD001 (rules/addressing/sip-address-malformed.toml), Rust's Unicode `\s` spelled out for RE2.
SIP_RE = (r"^(?i:sip):[^" + WS + r"@\p{Cc}\p{Cf}]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
          r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")
# reference.rs's `is_hidden_char`: control, bidi, zero-width and other invisible characters,
# dropped from AD002's value.
HIDDEN = (r"[\p{Cc}\x{00AD}\x{034F}\x{061C}\x{115F}\x{1160}\x{17B4}\x{17B5}\x{180B}-\x{180F}"
          r"\x{200B}-\x{200F}\x{2028}-\x{202E}\x{2060}-\x{206F}\x{3164}\x{FE00}-\x{FE0F}"
          r"\x{FEFF}\x{FFA0}\x{FFF9}-\x{FFFB}\x{1D173}-\x{1D17A}\x{E0000}-\x{E0FFF}]")
# Rust's `f64::from_str` syntax (what the rule language's `num` accepts after trimming).
FLOAT_RE = r"^[+-]?(?:(?i:inf|infinity|nan)|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)$"
# The version of a user agent's first `OC/` token (`client_major`): up to four dot-separated
# digit runs, a leading v, trailing `,` `;` ignored.
OC_TOKEN_RE = r"(?:^|[" + WS + r"])(?i:OC)/([^" + WS + r"]*)"
OC_MAJOR_RE = r"^[vV]?([0-9]+)(?:\.[0-9]+){0,3}[,;]*$"


def lit(text):
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


MACROS = f"""
-- Rust's trim. DuckDB's trim with a set of characters costs about 1 s per million cells, so a
-- cell that starts and ends with a visible ASCII character (nearly all) is taken as it is, and
-- one that does so once its spaces are trimmed (the items of a `; `-joined list) is trimmed of
-- spaces only.
CREATE MACRO visible_ends(s) AS ord(s) BETWEEN 33 AND 126 AND ord(right(s, 1)) BETWEEN 33 AND 126;
CREATE MACRO t_spaced(s) AS CASE
  WHEN visible_ends(s) THEN s ELSE trim(s, {lit(WHITE_SPACE)}) END;
CREATE MACRO t(s) AS CASE WHEN visible_ends(s) THEN s ELSE t_spaced(trim(coalesce(s, ''))) END;
-- strip_prefix without case, as reference.rs's `strip_ci` (ASCII case only: the strlen test keeps
-- a non-ASCII `İ` from lower-casing into a prefix).
CREATE MACRO strip_ci(s, p) AS CASE
  WHEN strlen(left(s, length(p))) = length(p) AND lower(left(s, length(p))) = lower(p)
  THEN substr(s, length(p) + 1) ELSE s END;
CREATE MACRO k(s) AS lower(t(s));
CREATE MACRO sip_key(s) AS lower(strip_ci(t(s), 'sip:'));
CREATE MACRO num(s) AS CASE WHEN regexp_full_match(t(s), {lit(FLOAT_RE)})
  THEN TRY_CAST(t(s) AS DOUBLE) END;
CREATE MACRO bool(s) AS CASE k(s) WHEN 'true' THEN true WHEN 'false' THEN false END;
"""


def csv(path):
    # skip=1: the `#TYPE` line (with the BOM before it); all_varchar: cells are text, as the
    # rules see them; allow_quoted_nulls=false: a quoted "" stays an empty string.
    return (f"read_csv({lit(path)}, skip = 1, header = true, all_varchar = true, delim = ',', "
            "quote = '\"', escape = '\"', allow_quoted_nulls = false)")


def checks_sql(files):
    f = {name: csv(path) for name, path in files.items()}
    return f"""
WITH
-- The small tables, keyed as in rules/lync/tables.toml; a lookup takes the first row of a key
-- (row_number() over a small file's scan is its order).
registrar_rows AS (
  SELECT k(PoolFqdn) AS key, num(Version) AS version, SiteId AS site, row_number() OVER () AS rn
  FROM {f['registrars']}),
policy_rows AS (
  SELECT k(Identity) AS key, bool(EnablePersistentChat) AS enable, row_number() OVER () AS rn
  FROM {f['chat_policies']}),
policies AS (
  SELECT key, arg_min(enable, rn) AS enable FROM policy_rows WHERE key <> '' GROUP BY key),
chat_pool_rows AS (
  SELECT k(PoolFqdn) AS key, num(Version) AS version, row_number() OVER () AS rn
  FROM {f['chat_services']}),
chat_pools AS (
  SELECT key, arg_min(version, rn) AS version FROM chat_pool_rows WHERE key <> '' GROUP BY key),
-- PC002's policy for a user without a per-user one: the `Site:` policy of the home registrar's
-- site, else Global.
registrars AS (
  SELECT r.key, r.version,
         CASE WHEN sp.key IS NOT NULL THEN sp.enable ELSE gp.enable END AS site_enable
  FROM (SELECT key, arg_min(version, rn) AS version, arg_min(site, rn) AS site
        FROM registrar_rows WHERE key <> '' GROUP BY key) r
  LEFT JOIN policies sp ON sp.key = k('Site:' || strip_ci(coalesce(r.site, ''), 'Site:'))
  LEFT JOIN policies gp ON gp.key = 'global'),
-- Chat evidence: the members of the rooms and categories of chat pools of Version 6 or more.
listings AS (
  SELECT PersistentChatPoolFqdn AS pool, [Members, Managers, Presenters] AS lists
  FROM {f['rooms']}
  UNION ALL
  SELECT PersistentChatPoolFqdn, [AllowedMembers, Creators] FROM {f['categories']}),
listed_cells AS (
  SELECT unnest(lists) AS cell
  FROM listings JOIN chat_pools c ON c.key = k(listings.pool) AND c.version >= 6),
members AS (
  SELECT DISTINCT sip_key(item) AS key
  FROM (SELECT unnest(string_split(coalesce(cell, ''), ';')) AS item FROM listed_cells)
  WHERE t(item) <> '' AND sip_key(item) <> ''),
-- The judged users, each with its home registrar, read once.
users AS MATERIALIZED (
  SELECT u.*, r.key IS NOT NULL AS has_home, r.version, r.site_enable
  FROM (SELECT coalesce(SipAddress, '') AS sip, sip_key(SipAddress) AS sip_key,
               sip_key(UserPrincipalName) AS upn_key, t(RegistrarPool) AS pool,
               t(PersistentChatPolicy) AS policy, bool(Enabled) AS enabled,
               t(HostingProvider) = '' OR k(HostingProvider) = 'srv:' AS on_premises
        FROM {f['users']}
        WHERE bool(Enabled) IS true OR t(SipAddress) <> '') u
  LEFT JOIN registrars r ON r.key = lower(u.pool)),
-- Users who chat (PC001/PC002 judge on-premises users not disabled), with their evidence.
chatters AS (
  SELECT users.*, m.key IS NOT NULL AS listed, tag.enable AS tag_enable
  FROM users
  LEFT JOIN members m ON m.key = users.sip_key
  LEFT JOIN policies tag ON tag.key = lower('Tag:' || strip_ci(users.policy, 'Tag:'))
  WHERE on_premises AND enabled IS DISTINCT FROM false AND version IN (5, 6, 7)),
-- PC001 before its client: homed on Version 5 with chat evidence or a per-user policy
-- enabling chat.
pc001_candidates AS (
  SELECT sip_key, upn_key FROM chatters
  WHERE version = 5 AND (listed OR tag_enable IS true)),
-- The candidates' registrations: registered at all, and with a Lync 2013-or-later client.
registered AS (
  SELECT key, bool_or(coalesce(TRY_CAST(regexp_extract(
           regexp_extract(UserAgent, {lit(OC_TOKEN_RE)}, 1), {lit(OC_MAJOR_RE)}, 1)
           AS UBIGINT) >= 15, false)) AS client
  FROM (SELECT sip_key(UserName) AS key, UserAgent FROM {f['registrations']}
        WHERE t(UserName) <> '')
  WHERE key IN (SELECT sip_key FROM pc001_candidates UNION SELECT upn_key FROM pc001_candidates)
  GROUP BY key)
SELECT 'AD001', count(*) FROM users WHERE NOT regexp_matches(sip, {lit(SIP_RE)})
UNION ALL
-- (The empty value is left out after grouping: a WHERE would be pushed below the grouping and
-- compute the value twice.)
SELECT 'AD002', coalesce(sum(n - 1) FILTER (WHERE value <> ''), 0) FROM (
  SELECT value, count(*) AS n
  FROM (SELECT lower(regexp_replace(t(strip_ci(t(sip), 'sip:')), {lit(HIDDEN)}, '', 'g')) AS value
        FROM users)
  GROUP BY value)
UNION ALL
SELECT 'TP001', count(*) FROM users WHERE on_premises AND pool <> '' AND NOT has_home
UNION ALL
SELECT 'PC002', count(*) FROM chatters
WHERE version IN (6, 7) AND listed
  AND (CASE WHEN policy = '' THEN site_enable ELSE tag_enable END) IS false
UNION ALL
SELECT 'PC001', count(*) FROM pc001_candidates c
LEFT JOIN registered s ON s.key = c.sip_key
LEFT JOIN registered p ON p.key = c.upn_key
WHERE s.client IS true OR (s.key IS NULL AND p.client IS true)
UNION ALL
SELECT 'PC004', count(*) FROM {f['chat_services']} cs
JOIN registrars host ON host.key = k(strip_ci(t(cs.Registrar), 'Registrar:'))
WHERE host.version IS NOT NULL AND num(cs.Version) IS NOT NULL
  AND host.version <> num(cs.Version)
"""


def main(argv):
    args = argv[1:]
    threads = None
    if "--threads" in args:
        i = args.index("--threads")
        threads = int(args[i + 1])
        del args[i:i + 2]
    if len(args) != 1:
        print("usage: duckdb_checks.py DIR [--threads N]", file=sys.stderr)
        return 2
    folder = args[0]
    files = {name: os.path.join(folder, file) for name, file in FILES.items()}
    missing = [p for p in files.values() if not os.path.isfile(p)]
    if missing:
        print(f"duckdb_checks.py: missing {', '.join(missing)}", file=sys.stderr)
        return 2
    con = duckdb.connect()
    if threads:
        con.execute(f"SET threads = {threads}")
    con.execute(MACROS)
    counts = dict.fromkeys(CODES, 0)
    for code, n in con.execute(checks_sql(files)).fetchall():
        counts[code] = int(n)
    print(json.dumps(dict(sorted(counts.items())), separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
