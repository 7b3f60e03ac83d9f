use super::*;
use crate::finding::Piece;

fn template() -> Template {
    Template::new(vec![
        Piece::Hole,
        Piece::Text(" is homed on ".into()),
        Piece::Hole,
    ])
}

fn place(n: usize) -> Arc<Place> {
    Arc::new(Place {
        file: format!("exports/users-{n}.csv").into(),
        table: Some("users".into()),
        fields: vec!["SipAddress".into(), "RegistrarPool".into()].into(),
    })
}

/// Findings with every kind of part, in several shapes: each anchor, with and without span,
/// excerpt, value, help, related locations, identity and count; numbers past one byte and
/// past 32 bits; texts longer than 127 bytes and with line breaks and non-ASCII.
fn findings() -> Vec<Finding> {
    let template = template();
    let help: Arc<str> = "Move the user with Move-CsUser.".into();
    // More places than are looked through one by one, so the index is used too.
    let places: Vec<Arc<Place>> = (0..LINEAR + 5).map(place).collect();
    let anchors = [
        Anchor::File,
        Anchor::Position {
            line: 3,
            column: u64::from(u32::MAX) + 7,
        },
        Anchor::Record { record: 200 },
        Anchor::Cell {
            record: 1 << 40,
            field: 1,
        },
    ];
    let mut out = Vec::new();
    for (i, place) in places.iter().enumerate() {
        let anchor = anchors[i % anchors.len()];
        let mut message = Message::fill(&template);
        message.push(&format!("sip:user{i}@contoso.com"));
        message.push(&"pool.contoso.com\r\n é ".repeat(i + 1));
        let mut f = Finding::new("TP001", Severity::Error, message.finish(), {
            let mut l = Location::at(i * 1000, place.clone(), anchor);
            l.value = (i % 2 == 0).then(|| "x".repeat(i * 20).into());
            l
        });
        if i % 3 == 0 {
            f = f.with_help(help.clone());
        }
        if i % 4 == 1 {
            f.location.span = Some(Span {
                line: 2,
                column: 5,
                end_line: 1 << 35,
                end_column: 9,
            });
            f.location.excerpt = Some(Box::new(Excerpt {
                first_line: 2,
                text: "a,\"b\nc\",d".into(),
                start: 2,
                end: 7,
            }));
        }
        for (j, place) in places.iter().enumerate().take(i % 3) {
            f.related.push(Related {
                location: Location::at(
                    j,
                    place.clone(),
                    Anchor::Cell {
                        record: 1,
                        field: 0,
                    },
                ),
                message: Message::plain(format!("related {j}")),
            });
        }
        f.identity = (i % 2 == 1).then(|| format!("users:sip:user{i}@contoso.com").into());
        f.count = match i % 3 {
            0 => None,
            1 => Some(0),
            _ => Some(usize::MAX),
        };
        out.push(f);
    }
    out.push(Finding::new(
        "CSV004",
        Severity::Info,
        "plain message",
        Location::new(0, "notes.txt".into(), Anchor::File),
    ));
    out
}

#[test]
fn findings_unpack_as_they_were_packed() {
    let findings = findings();
    let packed = Packed::new(findings.clone());
    assert_eq!(packed.len(), findings.len());
    let unpacked = packed.unpack();
    assert_eq!(unpacked, findings);
    // What findings shared is shared again, not copied.
    assert!(Arc::ptr_eq(
        &unpacked[0].location.place,
        &findings[0].location.place
    ));
    assert!(Arc::ptr_eq(
        unpacked[0].help.as_ref().unwrap_or(&"".into()),
        findings[0].help.as_ref().unwrap_or(&"".into())
    ));
}

#[test]
fn heads_are_the_findings_code_severity_place_and_anchor() {
    let findings = findings();
    let packed = Packed::new(findings.clone());
    let heads: Vec<_> = packed
        .heads()
        .map(|h| {
            (
                h.code.to_string(),
                h.severity,
                h.place.file.clone(),
                h.anchor,
            )
        })
        .collect();
    let expected: Vec<_> = findings
        .iter()
        .map(|f| {
            let l = &f.location;
            (f.code.to_string(), f.severity, l.file().clone(), l.anchor)
        })
        .collect();
    assert_eq!(heads, expected);
}

#[test]
fn retained_findings_keep_their_order_and_parts() {
    let findings = findings();
    let mut packed = Packed::new(findings.clone());
    packed.retain(|h| !matches!(h.anchor, Anchor::Record { .. }));
    let expected: Vec<Finding> = findings
        .into_iter()
        .filter(|f| !matches!(f.location.anchor, Anchor::Record { .. }))
        .collect();
    assert!(packed.len() < 14 && !packed.is_empty());
    assert_eq!(packed.unpack(), expected);
}

#[test]
fn batches_unpack_into_one_vector_in_order() {
    // More batches than one window, some empty.
    let findings = findings();
    let batches: Vec<Packed> = (0..100)
        .map(|i| Packed::new(findings.iter().skip(i % 7).take(i % 5).cloned().collect()))
        .collect();
    let expected: Vec<Finding> = (0..100)
        .flat_map(|i| findings.iter().skip(i % 7).take(i % 5).cloned())
        .collect();
    assert_eq!(unpack_all(batches), expected);
}
