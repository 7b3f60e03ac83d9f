//! Micro benchmarks (divan): `cargo bench --bench micro`.
//!
//! The pieces a run spends its time in, each on realistic input: parsing an expression, the
//! user-agent and version helpers, reading and checking a generated inventory with one
//! lookup-chain rule (per user row), drawing findings in the human format (per finding), and
//! key-map lookups in a map larger than the caches, one by one and grouped.
//! Whole runs against the hand-written checker are in `benches/run.sh`.

use std::path::PathBuf;
use std::sync::OnceLock;

use divan::counter::{BytesCount, ItemsCount};
use divan::Bencher;
use invlint::engine::{check, Options, Outcome};
use invlint::expr::value::{user_agent, Version};
use invlint::gen::{generate, GenOptions};
use invlint::keymap::KeyMap;
use invlint::report::RenderOptions;
use invlint::rule::RuleSet;

fn main() {
    divan::main();
}

/// The effective-policy binding of PC002: three lookups, a fallback chain and string work.
const PC002_POLICY: &str = r#"if(empty(PersistentChatPolicy), coalesce(chat-policies[concat("Site:", strip_prefix(home.SiteId, "Site:"))], chat-policies["Global"]), chat-policies[concat("Tag:", trim(PersistentChatPolicy))])"#;

const USER_AGENTS: [&str; 6] = [
    "UCCAPI/15.0.4569.1503 OC/15.0.4569.1503 (Microsoft Lync)",
    "UCCAPI/16.0.7766.2047 OC/16.0.7766.2047 (Skype for Business)",
    "UCCAPI/4.0.7577.4484 OC/4.0.7577.4484 (Microsoft Lync 2010)",
    "UCCAPI/3.5.6907.268 OC/3.5.6907.268 (Microsoft Office Communicator 2007 R2)",
    "UCWA/6.0.0.0 LyncMobile/6.0.0.0 (iOS)",
    "Microsoft Lync Web App/15.0.4551.1000",
];

#[divan::bench]
fn parse_pc002_policy_binding(bencher: Bencher) {
    bencher
        .counter(BytesCount::new(PC002_POLICY.len()))
        .bench(|| invlint::expr::parser::parse(divan::black_box(PC002_POLICY)));
}

#[divan::bench]
fn client_major_of_user_agents(bencher: Bencher) {
    bencher
        .counter(ItemsCount::new(USER_AGENTS.len()))
        .bench(|| {
            USER_AGENTS
                .iter()
                .filter_map(|ua| user_agent::version(divan::black_box(ua)))
                .map(|v| v.major())
                .sum::<u64>()
        });
}

#[divan::bench]
fn dotted_version_compare(bencher: Bencher) {
    let floor = Version::parse("15.0.4569").expect("a version");
    bencher
        .counter(ItemsCount::new(1usize))
        .bench(|| Version::parse(divan::black_box("15.0.4569.1503")).is_some_and(|v| v >= floor));
}

/// A generated inventory of 20,000 users (and about as many registrations), made once.
fn inventory() -> &'static (tempfile::TempDir, Vec<PathBuf>) {
    static DIR: OnceLock<(tempfile::TempDir, Vec<PathBuf>)> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().expect("a temporary folder");
        generate(
            dir.path(),
            &GenOptions {
                users: USERS,
                seed: 7,
                ..GenOptions::default()
            },
        )
        .expect("the generator writes the inventory");
        let roots = vec![dir.path().to_path_buf()];
        (dir, roots)
    })
}

const USERS: usize = 20_000;

fn rules() -> &'static RuleSet {
    static RULES: OnceLock<RuleSet> = OnceLock::new();
    RULES.get_or_init(|| RuleSet::load(true, &[]).expect("the embedded rules load"))
}

fn run(select: &[&str]) -> Outcome {
    let options = Options {
        select: select.iter().map(|s| s.to_string()).collect(),
        ..Options::default()
    };
    check(&inventory().1, rules(), &options).expect("the check runs")
}

/// Reading only: no rule selected (decoding, parsing, built-in checks).
#[divan::bench(sample_count = 20)]
fn check_20k_users_read_only(bencher: Bencher) {
    bencher
        .counter(ItemsCount::new(USERS))
        .bench(|| run(&["NONE"]).findings.len());
}

/// PC002: users → registrations (any), → registrars, → chat-policies with fallback.
#[divan::bench(sample_count = 20)]
fn check_20k_users_pc002(bencher: Bencher) {
    bencher
        .counter(ItemsCount::new(USERS))
        .bench(|| run(&["PC002"]).findings.len());
}

#[divan::bench(sample_count = 10)]
fn check_20k_users_all_rules(bencher: Bencher) {
    bencher
        .counter(ItemsCount::new(USERS))
        .bench(|| run(&[]).findings.len());
}

/// Drawing findings with miette (excerpts from the exported cells), per finding.
#[divan::bench(sample_count = 10)]
fn render_human(bencher: Bencher) {
    let report = run(&[]);
    let mut out = Vec::with_capacity(8 << 20);
    bencher
        .counter(ItemsCount::new(report.findings.len()))
        .bench_local(|| {
            out.clear();
            invlint::report::human::write(&report, RenderOptions::default(), &mut out)
                .expect("writing to memory");
            out.len()
        });
}

/// A key map of a million SIP-address-like keys, and the same keys in shuffled order: the
/// shape of a join of users to their registrations, whose rows are in no common order.
fn million_keys() -> &'static (KeyMap<u32>, Vec<String>) {
    static KEYS: OnceLock<(KeyMap<u32>, Vec<String>)> = OnceLock::new();
    KEYS.get_or_init(|| {
        const N: usize = 1_000_000;
        let mut keys: Vec<String> = (0..N)
            .map(|i| format!("kim.dempsey{i}@contoso.com"))
            .collect();
        let mut map = KeyMap::with_capacity(N);
        for (i, key) in keys.iter().enumerate() {
            map.get_or_insert_with(key, || i as u32);
        }
        // A fixed xorshift shuffle: the same order every run.
        let mut x = 0x2545_f491_4f6c_dd1d_u64;
        for i in (1..N).rev() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            keys.swap(i, (x % (i as u64 + 1)) as usize);
        }
        (map, keys)
    })
}

/// Probing a million-key map in random order, one key after the other.
#[divan::bench(sample_count = 10)]
fn key_map_1m_lookups_one_by_one(bencher: Bencher) {
    let (map, keys) = million_keys();
    bencher.counter(ItemsCount::new(keys.len())).bench(|| {
        keys.iter()
            .filter_map(|k| map.index_of(divan::black_box(k)))
            .count()
    });
}

/// The same probes through `KeyMap::indexes_of`, a group of keys at a time.
#[divan::bench(sample_count = 10)]
fn key_map_1m_lookups_grouped(bencher: Bencher) {
    let (map, keys) = million_keys();
    let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    let mut out = Vec::with_capacity(refs.len());
    bencher
        .counter(ItemsCount::new(keys.len()))
        .bench_local(|| {
            out.clear();
            map.indexes_of(divan::black_box(&refs), &mut out);
            out.iter().flatten().count()
        });
}
