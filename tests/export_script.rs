//! `scripts/Export-Inventory.ps1` against the table declarations, without PowerShell: every
//! table kind that is not a view has one `Export-Table -Kind <kind> … -Columns @(…)` whose
//! columns satisfy the kind's header signature and required columns (and are recognised as that
//! kind from a `<kind>.csv` with that header), multi-valued columns are joined with `'; '`, every
//! file is written with `-NoTypeInformation -Encoding UTF8`, and the script's brackets balance
//! outside strings and comments (a typo shows here, not on an admin's front end).

use std::collections::{BTreeMap, BTreeSet};

use invlint::inventory::decl::TableDecl;
use invlint::inventory::Inventory;
use invlint::rule::RuleSet;
use regex::Regex;

use crate::common::root;

const SCRIPT: &str = "scripts/Export-Inventory.ps1";

/// Columns that hold lists in the cmdlets' objects, on top of those the declarations split
/// (`split` keys): written unjoined, they are a .NET type name (CSV002).
const MULTI_VALUED: &[&str] = &[
    "Members",
    "Managers",
    "Presenters",
    "AllowedMembers",
    "DeniedMembers",
    "Creators",
    "Services",
    "Computers",
    "Pools",
    "FeatureTypes",
    "Regions",
    "SecondaryLanguages",
    "ManagersByUri",
    "DependentServiceList",
];

/// One `Export-Table` call of the script.
#[derive(Debug)]
struct Export {
    kind: String,
    line: usize,
    /// Plain property names.
    plain: Vec<String>,
    /// Calculated properties `@{ n = 'X'; e = { $_.X -join '; ' } }`.
    joined: Vec<String>,
    /// Switches after the column list (`-KeepTypeLine`, `-ColumnsOnly`).
    switches: Vec<String>,
}

impl Export {
    fn header(&self) -> Vec<String> {
        self.plain.iter().chain(&self.joined).cloned().collect()
    }
}

fn decls() -> Vec<TableDecl> {
    RuleSet::load(true, &[]).expect("embedded rules").decls()
}

fn script() -> String {
    std::fs::read_to_string(root().join(SCRIPT)).expect("read the export script")
}

/// The script with its comments blanked (strings kept, line numbers unchanged), or the first
/// bracket that does not balance outside strings and comments. Handles `'…'` (`''` escapes),
/// `"…"` (backtick and `""` escapes; a `$( )` holding double quotes is not supported), here-
/// strings `@'…'@` / `@"…"@`, `#` and `<# … #>` comments, and backtick escapes in code.
fn strip_comments(src: &str) -> Result<String, String> {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        Code,
        Single,
        Double,
        HereSingle,
        HereDouble,
        LineComment,
        BlockComment,
    }
    let chars: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len());
    let mut stack: Vec<(char, usize)> = Vec::new();
    let mut state = State::Code;
    let mut started = (State::Code, 0);
    let mut line = 1;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        let at_line_start = i == 0 || chars[i - 1] == '\n';
        // How many characters this step consumes, and whether they are blanked (comments).
        let mut width = 1;
        let mut blank = false;
        match state {
            State::Code => match c {
                '<' if next == Some('#') => {
                    state = State::BlockComment;
                    started = (state, line);
                    width = 2;
                    blank = true;
                }
                '#' => {
                    state = State::LineComment;
                    blank = true;
                }
                '@' if matches!(next, Some('\'' | '"'))
                    && matches!(chars.get(i + 2), Some('\n' | '\r')) =>
                {
                    state = if next == Some('\'') {
                        State::HereSingle
                    } else {
                        State::HereDouble
                    };
                    started = (state, line);
                    width = 2;
                }
                '\'' => {
                    state = State::Single;
                    started = (state, line);
                }
                '"' => {
                    state = State::Double;
                    started = (state, line);
                }
                '`' => width = 2,
                '(' | '{' | '[' => stack.push((c, line)),
                ')' | '}' | ']' => {
                    let open = match c {
                        ')' => '(',
                        '}' => '{',
                        _ => '[',
                    };
                    match stack.pop() {
                        Some((o, _)) if o == open => {}
                        Some((o, at)) => {
                            return Err(format!(
                                "line {line}: `{c}` closes the `{o}` opened on line {at}"
                            ))
                        }
                        None => return Err(format!("line {line}: `{c}` closes nothing")),
                    }
                }
                _ => {}
            },
            State::Single => {
                if c == '\'' {
                    if next == Some('\'') {
                        width = 2;
                    } else {
                        state = State::Code;
                    }
                }
            }
            State::Double => match c {
                '`' => width = 2,
                '"' if next == Some('"') => width = 2,
                '"' => state = State::Code,
                _ => {}
            },
            State::HereSingle | State::HereDouble => {
                let close = if state == State::HereSingle {
                    '\''
                } else {
                    '"'
                };
                if at_line_start && c == close && next == Some('@') {
                    state = State::Code;
                    width = 2;
                }
            }
            State::LineComment => {
                if c == '\n' {
                    state = State::Code;
                } else {
                    blank = true;
                }
            }
            State::BlockComment => {
                blank = true;
                if c == '#' && next == Some('>') {
                    state = State::Code;
                    width = 2;
                }
            }
        }
        for &taken in chars.iter().skip(i).take(width) {
            if taken == '\n' {
                line += 1;
                out.push('\n');
            } else {
                out.push(if blank { ' ' } else { taken });
            }
        }
        i += width;
    }
    if !matches!(state, State::Code | State::LineComment) {
        let what = match started.0 {
            State::Single => "a '…' string",
            State::Double => "a \"…\" string",
            State::HereSingle | State::HereDouble => "a here-string",
            _ => "a <# … #> comment",
        };
        return Err(format!("{what} opened on line {} never ends", started.1));
    }
    if let Some((open, at)) = stack.pop() {
        return Err(format!("`{open}` opened on line {at} is never closed"));
    }
    Ok(out)
}

/// The index of the `)` that closes the `(` at `open` (single-quoted strings skipped).
fn closing_paren(code: &str, open: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_string = false;
    for (i, c) in code.char_indices().skip_while(|(i, _)| *i < open) {
        match c {
            '\'' => in_string = !in_string,
            '(' if !in_string => depth += 1,
            ')' if !in_string => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// Every `Export-Table -Kind '<kind>' -Command { … } -Columns @(…) [switches]` of the script.
fn exports(code: &str) -> Result<Vec<Export>, String> {
    let call = Regex::new(r"Export-Table\s+-Kind\s+'([a-z-]+)'").expect("regex");
    let joined = Regex::new(
        // (`$_.X.Name`: the names of a collection of objects, as the dial plans' rules.)
        r"@\{\s*n\s*=\s*'([^']+)'\s*;\s*e\s*=\s*\{\s*\$_\.([A-Za-z]+)(?:\.Name)?\s+-join\s+'; '\s*\}\s*\}",
    )
    .expect("regex");
    let quoted = Regex::new(r"'([^']*)'").expect("regex");
    let mut found = Vec::new();
    for m in call.captures_iter(code) {
        let whole = m.get(0).expect("match");
        let kind = m[1].to_string();
        let line = code[..whole.start()].matches('\n').count() + 1;
        let rest = &code[whole.end()..];
        let columns_at = rest
            .find("-Columns @(")
            .ok_or(format!("{kind} (line {line}): no `-Columns @(…)`"))?;
        let open = whole.end() + columns_at + "-Columns @".len();
        let close = closing_paren(code, open)
            .ok_or(format!("{kind} (line {line}): `-Columns @(` never closed"))?;
        let body = &code[open + 1..close];
        let mut export = Export {
            kind: kind.clone(),
            line,
            plain: Vec::new(),
            joined: Vec::new(),
            switches: Vec::new(),
        };
        for j in joined.captures_iter(body) {
            if j[1] != j[2] {
                return Err(format!(
                    "{kind} (line {line}): column `{}` joins `$_.{}`",
                    &j[1], &j[2]
                ));
            }
            export.joined.push(j[1].to_string());
        }
        let plain = joined.replace_all(body, " ");
        if plain.contains('{') {
            return Err(format!(
                "{kind} (line {line}): a calculated column that is not \
                 `@{{ n = 'X'; e = {{ $_.X -join '; ' }} }}`: {body}"
            ));
        }
        export.plain = quoted
            .captures_iter(&plain)
            .map(|q| q[1].to_string())
            .collect();
        let tail = code[close + 1..].lines().next().unwrap_or_default();
        export.switches = tail
            .split_whitespace()
            .filter(|w| w.starts_with('-'))
            .map(str::to_string)
            .collect();
        found.push(export);
    }
    Ok(found)
}

fn parsed() -> (String, Vec<Export>) {
    let code = match strip_comments(&script()) {
        Ok(code) => code,
        Err(e) => panic!("{SCRIPT}: {e}"),
    };
    let exports = match exports(&code) {
        Ok(exports) => exports,
        Err(e) => panic!("{SCRIPT}: {e}"),
    };
    (code, exports)
}

#[test]
fn brackets_balance_outside_strings_and_comments() {
    let code = match strip_comments(&script()) {
        Ok(code) => code,
        Err(e) => panic!("{SCRIPT}: {e}"),
    };
    // The scanner itself: comments gone, strings kept, a stray bracket found.
    assert!(!code.contains("SYNOPSIS"), "the help comment is blanked");
    assert!(code.contains("'; '"), "strings are kept");
    assert_eq!(code.lines().count(), script().lines().count());
    for (bad, why) in [
        ("if ($a) { b", "never closed"),
        ("$x = @(1, 2))", "closes nothing"),
        ("{ ( }", "closes the `(`"),
        ("'open", "never ends"),
        ("<# open", "never ends"),
        ("$q = @'\nSELECT )\n'@\n", ""),
        ("\"a `\" ( # )\"", ""),
        ("'it''s (' # (\n", ""),
    ] {
        match strip_comments(bad) {
            Ok(_) => assert!(why.is_empty(), "{bad:?} should fail with {why}"),
            Err(e) => assert!(!why.is_empty() && e.contains(why), "{bad:?}: {e}"),
        }
    }
}

#[test]
fn every_table_kind_has_one_export_with_its_signature() {
    let (_, exports) = parsed();
    let decls = decls();
    let mut problems = Vec::new();
    let mut by_kind: BTreeMap<&str, Vec<&Export>> = BTreeMap::new();
    for e in &exports {
        by_kind.entry(e.kind.as_str()).or_default().push(e);
    }
    for decl in decls.iter().filter(|d| d.view_of.is_none()) {
        let kind = decl.kind.as_str();
        let Some(found) = by_kind.remove(kind) else {
            problems.push(format!(
                "{kind}: no `Export-Table -Kind '{kind}'` (export: {})",
                decl.export
            ));
            continue;
        };
        if found.len() > 1 {
            problems.push(format!("{kind}: exported {} times", found.len()));
        }
        let export = found[0];
        let header = export.header();
        if !decl.signature_matches(&header) {
            let mut wanted = decl.signature.join(" + ");
            if !decl.signature_any.is_empty() {
                wanted.push_str(&format!(" + one of {}", decl.signature_any.join(", ")));
            }
            problems.push(format!(
                "{kind} (line {}): columns {header:?} miss its signature {wanted}",
                export.line
            ));
        }
        for required in &decl.required {
            if decl.find_column(&header, required).is_none() {
                problems.push(format!(
                    "{kind} (line {}): required column {required} is not exported",
                    export.line
                ));
            }
        }
        // A column the declaration does not know is a typo (or a declaration to extend).
        for column in &header {
            if decl.canonical(column).is_none() {
                problems.push(format!(
                    "{kind} (line {}): column {column} is not declared for the kind",
                    export.line
                ));
            }
        }
        // The declared export keeps `#TYPE` when it is an Export-Csv without -NoTypeInformation.
        let keeps_type =
            decl.export.contains("Export-Csv") && !decl.export.contains("-NoTypeInformation");
        let has_switch = export.switches.iter().any(|s| s == "-KeepTypeLine");
        if keeps_type != has_switch {
            problems.push(format!(
                "{kind} (line {}): the declaration's export {} the #TYPE line, the script {}",
                export.line,
                if keeps_type { "keeps" } else { "drops" },
                if has_switch { "keeps it" } else { "drops it" }
            ));
        }
    }
    for (kind, found) in by_kind {
        let views = decls.iter().any(|d| d.kind == kind);
        problems.push(format!(
            "line {}: `{kind}` is {}",
            found[0].line,
            if views {
                "a view: its base kind's export covers it"
            } else {
                "no declared table kind"
            }
        ));
    }
    assert!(problems.is_empty(), "{SCRIPT}:\n{}", problems.join("\n"));
}

/// The file each call writes, with the header it selects (and the `#TYPE` line it keeps), is
/// recognised as its kind: the outcome the signature check stands for.
#[test]
fn each_export_is_recognised_as_its_kind() {
    let (_, exports) = parsed();
    let decls = decls();
    let files = exports
        .iter()
        .map(|e| {
            let mut text = String::new();
            if e.switches.iter().any(|s| s == "-KeepTypeLine") {
                let decl = decls.iter().find(|d| d.kind == e.kind).expect("declared");
                text.push_str(&format!("#TYPE Selected.{}\r\n", decl.type_names[0]));
            }
            let header: Vec<String> = e.header().iter().map(|c| format!("\"{c}\"")).collect();
            text.push_str(&header.join(","));
            text.push_str("\r\n");
            let row: Vec<&str> = e.header().iter().map(|_| "\"x\"").collect();
            text.push_str(&row.join(","));
            text.push_str("\r\n");
            (format!("export/{}.csv", e.kind), None, text.into_bytes())
        })
        .collect();
    let (inventory, _) = Inventory::from_memory(files, decls).expect("inventory");
    let mut problems = Vec::new();
    for (file, export) in inventory.files.iter().zip(&exports) {
        if file.kind.as_deref() != Some(export.kind.as_str()) {
            problems.push(format!(
                "{} (line {}): read as {}",
                file.display,
                export.line,
                file.kind.as_deref().unwrap_or("no kind")
            ));
        }
    }
    assert!(problems.is_empty(), "{SCRIPT}:\n{}", problems.join("\n"));
}

#[test]
fn multi_valued_columns_are_joined() {
    let (_, exports) = parsed();
    let mut multi: BTreeSet<String> = MULTI_VALUED.iter().map(|c| c.to_string()).collect();
    for decl in decls() {
        for key in decl.keys.values().chain(&decl.key) {
            if key.split.is_some() {
                multi.extend(key.columns.iter().cloned());
            }
        }
    }
    let mut problems = Vec::new();
    let mut joined_somewhere = BTreeSet::new();
    for e in &exports {
        for column in &e.plain {
            if multi.iter().any(|m| m.eq_ignore_ascii_case(column)) {
                problems.push(format!(
                    "{} (line {}): {column} is exported unjoined: @{{ n = '{column}'; e = {{ $_.{column} -join '; ' }} }}",
                    e.kind, e.line
                ));
            }
        }
        joined_somewhere.extend(e.joined.iter().cloned());
    }
    for column in MULTI_VALUED {
        if !joined_somewhere.contains(*column) {
            problems.push(format!("{column} is joined by no export"));
        }
    }
    assert!(problems.is_empty(), "{SCRIPT}:\n{}", problems.join("\n"));
}

/// Every writer of a file: Export-Csv with `-NoTypeInformation` (the helper's one call keeps
/// the `#TYPE` line only under `-KeepTypeLine`) and `-Encoding UTF8`; Set-Content and Out-File
/// in UTF-8 too.
#[test]
fn every_file_is_written_in_utf8_without_type_line() {
    let (code, _) = parsed();
    let mut problems = Vec::new();
    let mut writers = 0;
    for (n, line) in code.lines().enumerate() {
        for writer in ["Export-Csv", "Set-Content", "Out-File", "ConvertTo-Csv"] {
            if !line.contains(writer) {
                continue;
            }
            let args = line.split(writer).nth(1).unwrap_or_default();
            let args = args.split('|').next().unwrap_or_default();
            if writer != "ConvertTo-Csv" && !args.contains("-Encoding UTF8") {
                problems.push(format!("line {}: {writer} without -Encoding UTF8", n + 1));
            }
            if matches!(writer, "Export-Csv" | "ConvertTo-Csv") {
                writers += usize::from(writer == "Export-Csv");
                let no_type = args.contains("-NoTypeInformation ")
                    || args.contains("-NoTypeInformation:(-not $KeepTypeLine)")
                    || args.trim_end().ends_with("-NoTypeInformation");
                if !no_type {
                    problems.push(format!(
                        "line {}: {writer} without -NoTypeInformation",
                        n + 1
                    ));
                }
            }
        }
    }
    if writers == 0 {
        problems.push("no Export-Csv at all".to_string());
    }
    assert!(problems.is_empty(), "{SCRIPT}:\n{}", problems.join("\n"));
}

#[test]
fn parameters_and_guards() {
    let (code, exports) = parsed();
    for parameter in [
        "[string] $OutputFolder",
        "[switch] $SkipOnline",
        "[switch] $SkipRegistrations",
    ] {
        assert!(
            code.contains(parameter),
            "{SCRIPT}: no parameter {parameter}"
        );
    }
    assert!(
        code.contains("invlint-export-{0:yyyyMMdd-HHmm}"),
        "{SCRIPT}: the export folder is dated"
    );
    // Get-CsOnlineUser is the Teams module's: only run where it is loaded.
    let guard = code
        .find("Get-Command Get-CsOnlineUser -ErrorAction SilentlyContinue")
        .expect("Get-CsOnlineUser is guarded by Get-Command");
    let online = exports
        .iter()
        .find(|e| e.kind == "online-users")
        .expect("online-users export");
    let call_at: usize = code
        .lines()
        .take(online.line - 1)
        .map(|l| l.len() + 1)
        .sum();
    assert!(
        guard < call_at,
        "the Get-Command guard comes before the export"
    );
    // Registrations read rtcdyn, with the columns the declaration reads.
    assert!(code.contains("rtcdyn.dbo.RegistrarEndpoint"));
    let registrations = exports
        .iter()
        .find(|e| e.kind == "registrations")
        .expect("registrations export");
    assert_eq!(
        registrations.plain,
        ["UserName", "UserAgent", "Server", "EndpointId", "ExpiresAt"]
    );
}
