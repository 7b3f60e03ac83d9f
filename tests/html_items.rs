//! The audit page when its table is capped, and the parts a meeting looks at first.

use invlint::engine::{self, Options};
use invlint::report::html::{render, HtmlOptions};
use invlint::rule::RuleSet;
use scraper::{Html, Selector};

fn contoso_page(options: &HtmlOptions) -> Html {
    let rules = RuleSet::load(true, &[]).expect("rules");
    let report = engine::check(
        &[crate::common::root().join("testdata/inventories/contoso")],
        &rules,
        &Options::default(),
    )
    .expect("check");
    Html::parse_document(&render(&report, &rules, options))
}

fn sel(css: &str) -> Selector {
    Selector::parse(css).expect("selector")
}

/// 24 errors, 8 warnings and 3 infos in a table of 10: every severity keeps a share.
#[test]
fn capped_table_keeps_a_share_of_each_severity_and_cards_point_to_json() {
    let page = contoso_page(&HtmlOptions {
        table_limit: 10,
        examples_per_rule: 1,
        ..HtmlOptions::default()
    });
    let count = |sev: &str| {
        page.select(&sel(&format!("#findings-table tbody tr[data-sev={sev}]")))
            .count()
    };
    assert_eq!((count("error"), count("warning"), count("info")), (6, 2, 2));
    let notice: String = page
        .select(&sel("#findings-capped"))
        .flat_map(|n| n.text())
        .collect();
    assert!(
        notice.contains("6 of 23 errors, 2 of 9 warnings, 2 of 2 infos"),
        "{notice}"
    );
    let cards: String = page
        .select(&sel("article.rule"))
        .flat_map(|n| n.text())
        .collect();
    assert!(
        cards.contains("more: the JSON output has them all"),
        "{cards}"
    );
    assert!(
        !cards.contains("more in the table of all findings"),
        "{cards}"
    );
}

#[test]
fn uncapped_cards_point_to_the_table() {
    let page = contoso_page(&HtmlOptions {
        examples_per_rule: 1,
        ..HtmlOptions::default()
    });
    let cards: String = page
        .select(&sel("article.rule"))
        .flat_map(|n| n.text())
        .collect();
    assert!(
        cards.contains("more in the table of all findings"),
        "{cards}"
    );
    assert!(page.select(&sel("#findings-capped")).next().is_none());
}

#[test]
fn blocked_users_are_open_and_the_matrix_has_only_pools_with_rooms_or_categories() {
    let page = contoso_page(&HtmlOptions::default());
    let blocked = page
        .select(&sel("details#blocked-list"))
        .next()
        .expect("blocked list");
    assert!(blocked.value().attr("open").is_some());
    let pools: Vec<String> = page
        .select(&sel("#chat-categories thead th.pool"))
        .map(|th| th.text().collect())
        .collect();
    // chat19 and gc10 have neither rooms nor categories in the sample; pchat-red02 has a room
    // (whose categories were not exported: PC017).
    assert_eq!(
        pools,
        [
            "chat13.contoso.com",
            "pchat-red02.contoso.com",
            "chat15.contoso.com"
        ]
    );
    assert!(
        page.select(&sel("div.scroll.matrix #chat-categories"))
            .next()
            .is_some(),
        "the matrix scrolls inside its card"
    );
}
