//! `invlint report --html`: the audit page of the sample inventory, read back with an HTML
//! parser (html5ever, through scraper: the parsing algorithm browsers use, so what the test
//! sees is what a browser would build). Numbers are checked against the JSON output and, for
//! readiness, against counts made by hand from the sample's CSV files.

use std::collections::BTreeMap;
use std::path::Path;

use scraper::{ElementRef, Html, Selector};

use crate::common::{invlint, root};

const CONTOSO: &str = "testdata/inventories/contoso";

fn sel(css: &str) -> Selector {
    Selector::parse(css).expect("valid selector")
}

fn text(e: ElementRef<'_>) -> String {
    e.text().collect::<String>().trim().to_string()
}

fn one<'a>(doc: &'a Html, css: &str) -> ElementRef<'a> {
    let selector = sel(css);
    let mut found = doc.select(&selector);
    let first = found
        .next()
        .unwrap_or_else(|| panic!("no element matches {css}"));
    assert!(
        found.next().is_none(),
        "more than one element matches {css}"
    );
    first
}

fn number(s: &str) -> u64 {
    s.replace(',', "")
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("not a number: {s:?}"))
}

/// Render the report of `input` into `dir`; returns the page text.
fn report(dir: &Path, input: &str, extra: &[&str]) -> String {
    let out = dir.join("report.html");
    let out_arg = out.to_string_lossy().into_owned();
    let mut args = vec!["report", input, "--html", &out_arg];
    args.extend_from_slice(extra);
    let (code, stdout, stderr) = invlint(&args);
    assert_eq!(code, 0, "stderr: {stderr}");
    assert!(stdout.is_empty(), "the page goes to the file: {stdout}");
    assert!(stderr.starts_with("wrote "), "{stderr}");
    std::fs::read_to_string(out).expect("report written")
}

fn json(input: &str, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["check", input, "--format", "json"];
    args.extend_from_slice(extra);
    let (_, stdout, stderr) = invlint(&args);
    assert!(stderr.is_empty(), "{stderr}");
    serde_json::from_str(&stdout).expect("JSON output")
}

/// Group label → (users, ready, blocked) of a readiness table.
fn groups(doc: &Html, table: &str) -> BTreeMap<String, (u64, u64, u64)> {
    doc.select(&sel(&format!("#{table} tbody tr")))
        .map(|row| {
            let label = row
                .value()
                .attr("data-group")
                .expect("data-group")
                .to_string();
            let cell = |class: &str| {
                number(&text(
                    row.select(&sel(&format!("td.{class}")))
                        .next()
                        .expect("cell"),
                ))
            };
            (label, (cell("users"), cell("ready"), cell("blocked")))
        })
        .collect()
}

#[test]
fn contoso_page_has_every_section_and_the_json_counts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let page = report(dir.path(), CONTOSO, &[]);
    let doc = Html::parse_document(&page);
    for id in [
        "overview",
        "readiness",
        "findings",
        "persistent-chat",
        "rules",
        "inventory",
        "all-findings",
    ] {
        one(&doc, &format!("section#{id} > h2"));
        one(&doc, &format!("nav.toc a[href='#{id}']"));
    }
    let json = json(CONTOSO, &[]);
    let summary = &json["summary"];
    for (id, key) in [
        ("count-error", "error"),
        ("count-warning", "warning"),
        ("count-info", "info"),
        ("count-files", "files"),
        ("count-rows", "rows"),
        ("count-rules", "rules"),
    ] {
        assert_eq!(
            number(&text(one(&doc, &format!("#{id}")))),
            summary[key].as_u64().expect("count"),
            "{id}"
        );
    }
    assert_eq!(
        number(&text(one(&doc, "#count-skipped"))),
        summary["skipped"].as_array().expect("skipped").len() as u64
    );
    for severity in ["error", "warning", "info"] {
        assert_eq!(
            number(&text(one(&doc, &format!("#sev-{severity} td.count")))),
            summary[severity].as_u64().expect("count")
        );
    }

    // Per code: the by-rule row, the rule's section with its documentation, the table rows.
    let findings = json["findings"].as_array().expect("findings");
    let mut per_code: BTreeMap<String, u64> = BTreeMap::new();
    for f in findings {
        *per_code
            .entry(f["code"].as_str().expect("code").to_string())
            .or_default() += 1;
    }
    assert_eq!(per_code.len(), 29, "{per_code:?}");
    let (_, rules_json, _) = invlint(&["rules", "--json"]);
    let rules: serde_json::Value = serde_json::from_str(&rules_json).expect("rules JSON");
    let title_of = |code: &str| {
        rules
            .as_array()
            .expect("rules")
            .iter()
            .find(|r| r["code"] == code)
            .and_then(|r| r["title"].as_str())
            .expect("rule title")
            .to_string()
    };
    assert_eq!(
        doc.select(&sel("#by-rule tbody tr")).count(),
        per_code.len()
    );
    assert_eq!(doc.select(&sel("article.rule")).count(), per_code.len());
    for (code, count) in &per_code {
        let row = one(&doc, &format!("#by-rule-{code}"));
        assert_eq!(
            number(&text(row.select(&sel("td.count")).next().expect("count"))),
            *count,
            "{code}"
        );
        let article = one(&doc, &format!("article#rule-{code}"));
        assert_eq!(
            article.value().attr("data-count"),
            Some(&*count.to_string())
        );
        let heading = text(article.select(&sel("h3")).next().expect("h3"));
        assert!(heading.contains(&title_of(code)), "{code}: {heading}");
        for part in ["dd.why", "dd.help", "dd.docs a[href^='https://']"] {
            let e = article
                .select(&sel(part))
                .next()
                .unwrap_or_else(|| panic!("{code} has no {part}"));
            assert!(!text(e).is_empty(), "{code}: empty {part}");
        }
        let where_items = article.select(&sel("ul.where li")).count() as u64;
        assert_eq!(where_items, (*count).min(5), "{code}");
    }

    // The findings table: every finding, in the JSON's order within a severity, each row's
    // code linking to its rule's section.
    let rows: Vec<ElementRef<'_>> = doc.select(&sel("#findings-table tbody tr")).collect();
    assert_eq!(rows.len(), findings.len());
    assert!(doc.select(&sel("#findings-capped")).next().is_none());
    let mut expected: Vec<&serde_json::Value> = findings.iter().collect();
    let rank = |f: &serde_json::Value| match f["severity"].as_str() {
        Some("error") => 0,
        Some("warning") => 1,
        _ => 2,
    };
    expected.sort_by_key(|f| rank(f));
    for (row, f) in rows.iter().zip(&expected) {
        let cells: Vec<String> = row.select(&sel("td")).map(text).collect();
        let file = f["file"]
            .as_str()
            .expect("file")
            .strip_prefix("testdata/inventories/contoso/")
            .expect("paths are shown relative to the common folder");
        assert_eq!(
            cells,
            [
                f["severity"].as_str().expect("severity").to_string(),
                f["code"].as_str().expect("code").to_string(),
                file.to_string(),
                f["line"].to_string(),
                f["column"].to_string(),
                f["message"].as_str().expect("message").to_string(),
            ]
        );
        let link = row.select(&sel("a.code")).next().expect("code link");
        let target = link.value().attr("href").expect("href");
        assert_eq!(
            target,
            format!("#rule-{}", f["code"].as_str().expect("code"))
        );
        one(&doc, target);
    }
}

/// Readiness of the sample, counted by hand from `users.csv` and `Lync_Services_Registrar.csv`
/// with the findings listed in EXPECTED.md (default run, no profile):
///
/// - pool10 (Version 5, Redmond): users rows 2, 3, 5, 8, 11, 16, 31, 32, 50 = 9; PC001 on rows 3
///   (Kim Akers) and 11 (David Longmuir, `Pool10.contoso.com`) is a warning: none blocked.
/// - pool13 (Version 6, Redmond): rows 1, 4, 6 (`POOL13…`), 7, 9, 10, 12–15, 17–26, 30, 33, 34,
///   38, 51, 53 = 26; blocked: 9 and 10 (PC002), 14 (PC003), 17 and 18 (AD003), 20 (AD006), 24,
///   25 and 26 (AD001), 51 (AD002), 53 (CL001) = 11; warnings only on 13 (CL002), 19 (AD004),
///   22 (AD005). Row 7 (Ty Carlson, NoChat, in no room) is ready.
/// - pool15 (Version 7, Paris): rows 39–49, 54, 55 = 13 (row 41 is `Pool15.Contoso.com`); row 54
///   (Zoë Lambert) has a warning (AD007), row 55 (Marc Petit) is blocked (CL003).
/// - pool19 (Version 8, Redmond): rows 35, 36, 37, 52 = 4; row 52 has a warning (PC015).
/// - pool07 (no registrar row): row 27 (TP001) = 1 blocked.
/// - no RegistrarPool: row 28 (Terry Adams, `SRV:`, TP002) blocked; row 29 (Eva Corets,
///   `sipfed.online.lync.com`) homed online, warning PC009 only.
#[test]
fn contoso_readiness_by_pool_and_site() {
    let dir = tempfile::tempdir().expect("tempdir");
    let doc = Html::parse_document(&report(dir.path(), CONTOSO, &[]));
    let expected_pools: BTreeMap<String, (u64, u64, u64)> = [
        ("pool10.contoso.com", (9, 9, 0)),
        ("pool13.contoso.com", (26, 15, 11)),
        ("pool15.contoso.com", (13, 12, 1)),
        ("pool19.contoso.com", (4, 4, 0)),
        ("pool07.contoso.com", (1, 0, 1)),
        ("(no RegistrarPool)", (1, 0, 1)),
        ("(homed online)", (1, 1, 0)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(groups(&doc, "readiness-pools"), expected_pools);
    let expected_sites: BTreeMap<String, (u64, u64, u64)> = [
        ("Redmond", (39, 28, 11)),
        ("Paris", (13, 12, 1)),
        ("(pool not in the registrars export)", (1, 0, 1)),
        ("(no home pool)", (1, 0, 1)),
        ("(online)", (1, 1, 0)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(groups(&doc, "readiness-sites"), expected_sites);
    assert_eq!(text(one(&doc, "#total-users")), "55");
    assert_eq!(text(one(&doc, "#ready-users")), "41");
    assert_eq!(text(one(&doc, "#blocked-users")), "14");
    // pool13's bar: 12 ready without warnings, 3 with warnings, 11 blocked.
    let bar = one(
        &doc,
        "#readiness-pools tr[data-group='pool13.contoso.com'] svg",
    );
    assert_eq!(
        bar.value().attr("aria-label"),
        Some("12 ready, 3 ready with warnings, 11 blocked")
    );
    // The list of blocked users has the 14, with their error codes.
    let blocked: Vec<String> = doc
        .select(&sel("#blocked-list tbody tr"))
        .map(|r| text(r.select(&sel("td")).next().expect("sip")))
        .collect();
    assert_eq!(blocked.len(), 14);
    assert!(blocked.contains(&"sip:kevin.kennedy@contoso.com".to_string()));
    assert!(!blocked.contains(&"sip:kim.akers@contoso.com".to_string()));
    assert!(
        blocked.contains(&String::new()),
        "Luis Bonifaz has no SIP address"
    );

    // Readiness does not depend on which rules ran: with only AD rules, the users' pools are
    // read again from the file (the run kept no RegistrarPool column).
    let only_ad = Html::parse_document(&report(dir.path(), CONTOSO, &["--select", "AD"]));
    let pools = groups(&only_ad, "readiness-pools");
    assert_eq!(pools["pool13.contoso.com"].0, 26);
    assert_eq!(pools["pool10.contoso.com"], (9, 9, 0));
    assert_eq!(pools.values().map(|g| g.0).sum::<u64>(), 55);
    for row in only_ad.select(&sel("#by-rule tbody tr")) {
        let code = row.value().attr("data-code").expect("code");
        assert!(code.starts_with("AD"), "{code}");
    }
}

#[test]
fn contoso_persistent_chat_view() {
    let dir = tempfile::tempdir().expect("tempdir");
    let doc = Html::parse_document(&report(dir.path(), CONTOSO, &[]));
    // Chat pools with their host's version (pchat-services.csv, registrars).
    let pools: BTreeMap<String, Vec<String>> = doc
        .select(&sel("#chat-pools tbody tr"))
        .map(|r| {
            (
                r.value().attr("data-pool").expect("pool").to_string(),
                r.select(&sel("td")).map(text).collect(),
            )
        })
        .collect();
    assert_eq!(
        pools.keys().collect::<Vec<_>>(),
        [
            "chat13.contoso.com",
            "chat15.contoso.com",
            "chat19.contoso.com",
            "pchat-red02.contoso.com"
        ]
    );
    let red02 = &pools["pchat-red02.contoso.com"];
    assert_eq!(red02[1], "Lync Server 2013");
    assert_eq!(red02[2], "pool10.contoso.com");
    assert_eq!(red02[3], "Lync Server 2010");
    assert_eq!(red02[8], "PC004");
    // `Registrar:POOL15.contoso.com` matches pool15 without case.
    assert_eq!(
        pools["chat15.contoso.com"][3],
        "Skype for Business Server 2015"
    );
    assert_eq!(pools["chat19.contoso.com"][8], "PC005");
    // Rooms, categories and add-ins per pool (rooms.csv row 2 names `Chat13.contoso.com`).
    assert_eq!(pools["chat13.contoso.com"][5..8], ["9", "2", "1"]);
    assert_eq!(pools["chat15.contoso.com"][5..8], ["1", "1", "1"]);
    // Categories across pools: Support exists on chat15 only, one chat13 room uses it (PC006).
    let header: Vec<String> = doc
        .select(&sel("#chat-categories thead th"))
        .map(text)
        .collect();
    let support: Vec<String> = doc
        .select(&sel("#chat-categories tbody tr"))
        .find(|r| text(r.select(&sel("td")).next().expect("name")) == "Support")
        .expect("Support row")
        .select(&sel("td"))
        .map(text)
        .collect();
    let column = |pool: &str| header.iter().position(|h| h == pool).expect("pool column");
    assert_eq!(support[column("chat13.contoso.com")], "✗ 1 room");
    assert_eq!(support[column("chat15.contoso.com")], "✓ 1 room");
    // Persistent Chat users who cannot reach it: the PC001 and PC002 users, in file order.
    let users: Vec<Vec<String>> = doc
        .select(&sel("#chat-users tbody tr"))
        .map(|r| r.select(&sel("td")).map(text).collect())
        .collect();
    let summary: Vec<(&str, &str, &str, &str)> = users
        .iter()
        .map(|u| (&*u[0], &*u[1], &*u[2], &u[4][..5]))
        .collect();
    assert_eq!(
        summary,
        [
            (
                "sip:kim.akers@contoso.com",
                "Kim Akers",
                "pool10.contoso.com",
                "PC001"
            ),
            (
                "sip:kevin.kennedy@contoso.com",
                "Kevin Kennedy",
                "pool13.contoso.com",
                "PC002"
            ),
            (
                "sip:nancy.anderson@contoso.com",
                "Nancy Anderson",
                "pool13.contoso.com",
                "PC002"
            ),
            (
                "sip:david.longmuir@contoso.com",
                "David Longmuir",
                "pool10.contoso.com",
                "PC001"
            ),
        ]
    );
    // The client is the registration that triggered the rule (EndpointRegistrations.csv row 31).
    assert_eq!(users[0][3], "OC/15.0.4569.1503 (Microsoft Lync)");
}

#[test]
fn contoso_inventory_summary() {
    let dir = tempfile::tempdir().expect("tempdir");
    let doc = Html::parse_document(&report(dir.path(), CONTOSO, &[]));
    let files: BTreeMap<String, Vec<String>> = doc
        .select(&sel("#files tbody tr"))
        .map(|r| {
            let cells: Vec<String> = r.select(&sel("td")).map(text).collect();
            (cells[0].clone(), cells)
        })
        .collect();
    assert_eq!(files.len(), 11);
    // File, kind, rows, encoding, delimiter, #TYPE (EXPECTED.md, "Files").
    assert_eq!(
        files["users.csv"],
        [
            "users.csv",
            "users",
            "55",
            "utf-8-bom",
            "comma",
            "Microsoft.Rtc.Management.ADConnect.Schema.OCSADUser"
        ]
    );
    assert_eq!(files["rooms.csv"][4], "semicolon");
    assert_eq!(files["policies/pchat-policies.csv"][1], "chat-policies");
    assert_eq!(files["addins.csv"][5], "–");
    let kinds: BTreeMap<String, (u64, u64)> = doc
        .select(&sel("#table-kinds tbody tr"))
        .map(|r| {
            let n = |c: &str| number(&text(r.select(&sel(c)).next().expect("cell")));
            (
                r.value().attr("data-kind").expect("kind").to_string(),
                (n("td.files"), n("td.rows")),
            )
        })
        .collect();
    // The registrar and chat services exports are both `Get-CsService` output (with and without
    // #TYPE): one `services` kind of two files, whose rows the registrars and chat-services
    // views take.
    assert_eq!(kinds.len(), 10);
    assert_eq!(kinds["services"].0, 2);
    assert_eq!(kinds["users"], (1, 55));
    assert_eq!(kinds["registrations"], (1, 73));
    assert_eq!(kinds["trusted-applications"], (1, 2));
    // Skipped rules are listed with their reason.
    let skipped = Html::parse_document(&report(dir.path(), &format!("{CONTOSO}/users.csv"), &[]));
    let reasons: Vec<String> = skipped
        .select(&sel("#skipped-rules tbody tr td:nth-child(3)"))
        .map(text)
        .collect();
    assert!(!reasons.is_empty());
    assert!(
        reasons.iter().any(|r| r.contains("registrars")),
        "{reasons:?}"
    );
}

#[test]
fn page_loads_nothing_from_anywhere() {
    let dir = tempfile::tempdir().expect("tempdir");
    let page = report(dir.path(), CONTOSO, &[]);
    let lower = page.to_lowercase();
    for bad in [
        "<script src",
        "<link href=http",
        "<img",
        "<iframe",
        "@import",
        "url(",
        "src=",
    ] {
        assert!(!lower.contains(bad), "the page contains {bad:?}");
    }
    let doc = Html::parse_document(&page);
    // The one script is inline; the one link is the empty data: favicon.
    let scripts: Vec<ElementRef<'_>> = doc.select(&sel("script")).collect();
    assert_eq!(scripts.len(), 1);
    assert!(scripts[0].value().attr("src").is_none());
    let links: Vec<ElementRef<'_>> = doc.select(&sel("link")).collect();
    assert_eq!(links.len(), 1);
    assert_eq!(links[0].value().attr("rel"), Some("icon"));
    assert_eq!(links[0].value().attr("href"), Some("data:,"));
    // Every element with a src or href points inside the page, to data:, or (links to read
    // the docs, followed only when clicked) to https.
    for e in doc.select(&sel(
        "[src], [href], [srcset], [action], [formaction], [poster]",
    )) {
        let name = e.value().name();
        assert!(e.value().attr("src").is_none(), "<{name}> has src");
        let href = e.value().attr("href").unwrap_or("");
        assert!(
            href.starts_with('#')
                || href == "data:,"
                || (name == "a" && href.starts_with("https://")),
            "<{name} href={href:?}>"
        );
    }
    let csp = one(&doc, "meta[http-equiv='Content-Security-Policy']");
    assert!(csp
        .value()
        .attr("content")
        .expect("content")
        .starts_with("default-src 'none'"));
    // Readable without JavaScript: the findings are in the markup; only the filter controls,
    // which need the script, start hidden.
    assert!(doc.select(&sel("#findings-table tbody tr")).count() > 0);
    assert!(one(&doc, "#findings-controls")
        .value()
        .attr("hidden")
        .is_some());
}

/// Copy the sample inventory into `to`, editing `users.csv` with `edit`.
fn copy_contoso(to: &Path, edit: impl Fn(String) -> String) {
    let from = root().join(CONTOSO);
    for entry in walk(&from) {
        let rel = entry.strip_prefix(&from).expect("inside");
        let target = to.join(rel);
        std::fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
        if rel == Path::new("users.csv") {
            let text = std::fs::read_to_string(&entry).expect("UTF-8 users.csv");
            std::fs::write(&target, edit(text)).expect("write");
        } else {
            std::fs::copy(&entry, &target).expect("copy");
        }
    }
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read_dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn csv_values_are_escaped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let inventory = dir.path().join("inv");
    copy_contoso(&inventory, |text| {
        // Toni Poe's LineURI (AD003 quotes it in its message and value) and display name (the
        // list of blocked users shows it); Rob Walters' unknown pool (a group label, also
        // written into a data- attribute).
        let edited = text
            .replacen("\"tel:4255550123\"", "\"<script>alert(1)</script>\"", 1)
            .replacen("\"Toni Poe\"", "\"<b>Toni</b> & <i>Poe</i>\"", 1)
            .replacen(
                "\"pool07.contoso.com\"",
                "\"x\"\"><img src=x onerror=alert(3)>\"",
                1,
            );
        assert_ne!(edited, text);
        edited
    });
    let inventory = inventory.to_string_lossy().into_owned();
    let json = json(&inventory, &[]);
    let values: Vec<&str> = json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["value"].as_str())
        .collect();
    assert!(values.contains(&"<script>alert(1)</script>"), "{values:?}");

    let page = report(dir.path(), &inventory, &[]);
    assert!(!page.contains("<script>alert"), "raw script in the page");
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!page.contains("<img"));
    assert!(!page.contains("<b>Toni"));
    let doc = Html::parse_document(&page);
    let scripts: Vec<ElementRef<'_>> = doc.select(&sel("script")).collect();
    assert_eq!(scripts.len(), 1, "only the page's own script");
    assert!(scripts.iter().all(|s| !text(*s).contains("alert(")));
    assert!(doc.select(&sel("img, b, i")).next().is_none());
    // The values are there, as text.
    let messages: Vec<String> = doc
        .select(&sel("#findings-table td.msg"))
        .map(text)
        .collect();
    assert!(
        messages
            .iter()
            .any(|m| m.contains("LineURI <script>alert(1)</script>")),
        "{messages:?}"
    );
    let names: Vec<String> = doc
        .select(&sel("#blocked-list tbody td:nth-child(2)"))
        .map(text)
        .collect();
    assert!(
        names.contains(&"<b>Toni</b> & <i>Poe</i>".to_string()),
        "{names:?}"
    );
    let groups = groups(&doc, "readiness-pools");
    assert_eq!(groups["x\"><img src=x onerror=alert(3)>"], (1, 0, 1));
}

#[test]
fn report_exit_codes_and_stdout() {
    let dir = tempfile::tempdir().expect("tempdir");
    // No input: 2, as for check.
    let out = dir.path().join("r.html").to_string_lossy().into_owned();
    let (code, _, stderr) = invlint(&["report", "--html", &out]);
    assert_eq!(code, 2, "{stderr}");
    // --html is required.
    let (code, _, stderr) = invlint(&["report", CONTOSO]);
    assert_eq!(code, 2, "{stderr}");
    // A file that cannot be written: 2.
    let bad = dir
        .path()
        .join("missing/r.html")
        .to_string_lossy()
        .into_owned();
    let (code, _, stderr) = invlint(&["report", CONTOSO, "--html", &bad]);
    assert_eq!(code, 2);
    assert!(stderr.contains("cannot write"), "{stderr}");
    // `-` writes the page to standard output; findings do not change the exit code.
    let (code, stdout, stderr) = invlint(&["report", CONTOSO, "--html", "-"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with("<!DOCTYPE html>"));
    assert!(stdout.trim_end().ends_with("</html>"));
}

/// An input that cannot be read still gets a page (marked incomplete), and exit code 2, as
/// `check` would give: a CI step must not pass on a partial audit.
#[cfg(unix)]
#[test]
fn incomplete_run_writes_the_page_and_exits_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_contoso(&dir.path().join("contoso"), |text| text);
    std::os::unix::fs::symlink("nowhere.csv", dir.path().join("contoso/gone.csv"))
        .expect("dangling link");
    let page = dir.path().join("r.html");
    let (code, _, stderr) =
        crate::common::invlint_in(dir.path(), &["report", "contoso", "--html", "r.html"]);
    assert_eq!(code, 2, "{stderr}");
    let html = std::fs::read_to_string(page).expect("page written");
    assert!(
        html.contains("gone.csv"),
        "the unreadable file is named on the page"
    );
}

/// People, not rows: three overlapping users exports of seven people (EXPECTED.md of
/// `real-folders/overlapping-views`) make seven users on the page, grouped by their pool, and
/// a plain `Get-CsService` gives the page its registrars.
#[test]
fn overlapping_exports_count_people_not_rows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let doc = Html::parse_document(&report(
        dir.path(),
        "testdata/inventories/real-folders/overlapping-views",
        &["--isolated"],
    ));
    assert_eq!(text(one(&doc, "#total-users")), "7");
    let pools = groups(&doc, "readiness-pools");
    assert_eq!(pools["pool13.contoso.com"].0, 3);
    assert_eq!(pools["pool15.contoso.com"].0, 4);
    let services = Html::parse_document(&report(
        dir.path(),
        "testdata/inventories/real-folders/plain-get-csservice",
        &["--isolated"],
    ));
    let pools = groups(&services, "readiness-pools");
    assert_eq!(pools["sba01.contoso.com"].0, 1, "{pools:?}");
    assert_eq!(text(one(&services, "#total-users")), "4");
}

/// The page's columns are kept while the rows are read: making a second read of any file
/// panic (a debug build's fault point `reread`) changes nothing, through `report --html` or
/// `check --output html=FILE`.
#[test]
fn the_page_reads_no_file_twice() {
    let dir = tempfile::tempdir().expect("tempdir");
    let page = dir.path().join("page.html");
    let page_arg = page.to_string_lossy().into_owned();
    let output = format!("html={page_arg}");
    let files: Vec<String> = walkdir::WalkDir::new(crate::common::root().join(CONTOSO))
        .into_iter()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "csv"))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(files.len() > 5, "{files:?}");
    let run = |args: &[&str], file: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_invlint"))
            .args(args)
            .current_dir(crate::common::root())
            .env("INVLINT_TEST_PANIC", format!("reread:{file}"))
            .output()
            .expect("invlint runs")
    };
    for file in &files {
        let out = run(&["report", CONTOSO, "--html", &page_arg, "-q"], file);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{file}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = run(
        &["check", CONTOSO, "--format", "compact", "--output", &output],
        "users.csv",
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
