//! The table kinds of `testdata/inventories/kinds` (one export per cmdlet, see its EXPECTED.md):
//! each file is recognised as its kind, by its `#TYPE` line and by its header alone, and the
//! JSON output of the folder is a snapshot (no finding: every file is recognised).

use invlint::inventory::{DiscoverOptions, Inventory};
use invlint::rule::RuleSet;

use crate::common::{invlint, root};

const KINDS: &str = "testdata/inventories/kinds";

/// File → the kind it must be recognised as.
const EXPECTED: &[(&str, &str)] = &[
    ("ad-users.csv", "ad-users"),
    ("analog-devices.csv", "analog-devices"),
    ("common-area-phones.csv", "common-area-phones"),
    ("conference-directories.csv", "conference-directories"),
    ("dialin-access-numbers.csv", "dialin-access-numbers"),
    ("exum-contacts.csv", "exum-contacts"),
    ("meeting-rooms.csv", "meeting-rooms"),
    ("online-users-sfbo.csv", "online-users"),
    ("online-users-teams.csv", "online-users"),
    ("pools.csv", "pools"),
    ("rgs-workflows.csv", "rgs-workflows"),
    ("sites.csv", "sites"),
    (
        "trusted-application-endpoints.csv",
        "trusted-application-endpoints",
    ),
];

fn rules() -> RuleSet {
    RuleSet::load(true, &[]).expect("embedded rules")
}

/// The kind of each in-memory file `(name, bytes)`.
fn kinds_of(files: Vec<(String, Vec<u8>)>) -> Vec<(String, Option<String>)> {
    let tables = files
        .into_iter()
        .map(|(name, bytes)| (name, None, bytes))
        .collect();
    let (inventory, _) = Inventory::from_memory(tables, rules().decls()).expect("inventory");
    inventory
        .files
        .iter()
        .map(|f| (f.display.to_string(), f.kind.as_deref().map(str::to_string)))
        .collect()
}

#[test]
fn every_fixture_is_recognised_as_its_kind() {
    let (inventory, findings) = Inventory::open(
        &[root().join(KINDS)],
        &DiscoverOptions::default(),
        rules().decls(),
        &[],
    )
    .expect("open");
    let mut got: Vec<(String, String)> = inventory
        .files
        .iter()
        .filter(|f| f.display.ends_with(".csv"))
        .map(|f| {
            let name = f.display.rsplit('/').next().unwrap_or_default().to_string();
            (name, f.kind.as_deref().unwrap_or("(none)").to_string())
        })
        .collect();
    got.sort();
    let want: Vec<(String, String)> = EXPECTED
        .iter()
        .map(|(f, k)| (f.to_string(), k.to_string()))
        .collect();
    assert_eq!(got, want);
    assert!(findings.is_empty(), "{findings:?}");
}

/// Without the `#TYPE` line and under a neutral file name, the header alone still decides —
/// except for meeting rooms, whose header is a user account's: documented as read as `users`.
#[test]
fn headers_alone_decide_the_kind() {
    let files: Vec<(String, Vec<u8>)> = EXPECTED
        .iter()
        .map(|(file, _)| {
            let text = std::fs::read_to_string(root().join(KINDS).join(file)).expect("read");
            let text = text.trim_start_matches('\u{feff}');
            let body = match text.strip_prefix("#TYPE") {
                Some(rest) => rest.split_once('\n').map_or("", |(_, b)| b),
                None => text,
            };
            (format!("{file}/export.csv"), body.as_bytes().to_vec())
        })
        .collect();
    for ((name, kind), (file, expected)) in kinds_of(files).into_iter().zip(EXPECTED) {
        let expected = if *expected == "meeting-rooms" {
            "users"
        } else {
            expected
        };
        assert_eq!(kind.as_deref(), Some(expected), "{name} ({file})");
    }
}

/// Headers of the kinds that share columns with a users export: a full Get-CsUser export stays
/// `users`; each contact kind wins over `users` and over common area phones.
#[test]
fn shared_columns_go_to_the_most_specific_kind() {
    let get_cs_user = "SamAccountName,UserPrincipalName,FirstName,LastName,WindowsEmailAddress,\
        Sid,LineServerURI,OriginatorSid,AudioVideoDisabled,IPPBXSoftPhoneRoutingEnabled,\
        RemoteCallControlTelephonyEnabled,PrivateLine,HostedVoiceMail,DisplayName,HomeServer,\
        TargetServerIfMoving,EnabledForFederation,EnabledForInternetAccess,PublicNetworkEnabled,\
        EnterpriseVoiceEnabled,EnabledForRichPresence,LineURI,SipAddress,Enabled,TenantId,\
        TargetRegistrarPool,VoicePolicy,MobilityPolicy,ConferencingPolicy,PresencePolicy,\
        RegistrarPool,DialPlan,LocationPolicy,ClientPolicy,ClientVersionPolicy,ArchivingPolicy,\
        PinPolicy,ExternalAccessPolicy,HostedVoicemailPolicy,HostingProvider,Name,\
        DistinguishedName,Identity,Guid,ObjectCategory,WhenChanged,WhenCreated,\
        OriginatingServer,IsValid,ObjectState";
    let cases = [
        (get_cs_user, "users"),
        ("SipAddress,RegistrarPool,LineURI,FullLineURI,LyncEnabled,SBAPool", "users"),
        ("Identity,RegistrarPool,SipAddress,LineURI,DisplayNumber,DisplayName", "common-area-phones"),
        ("Identity,RegistrarPool,SipAddress,LineURI,DisplayNumber,Gateway,AnalogFax", "analog-devices"),
        ("Identity,SipAddress,RegistrarPool,DisplayNumber,LineURI,AutoAttendant,IsSubscriberAccess", "exum-contacts"),
        ("Identity,SipAddress,DisplayNumber,LineURI,OwnerUrn,RegistrarPool", "trusted-application-endpoints"),
        ("UserPrincipalName,SipAddress,RegistrarPool,Enabled,InterpretedUserType", "online-users"),
        ("UserPrincipalName,SipAddress,Enabled,Department,Title,Office,InterpretedUserType", "online-users"),
        ("UserPrincipalName,SipAddress,Enabled,Department,Title", "ad-users"),
        ("Identity,PrimaryUri,DisplayNumber,LineUri,Pool,Regions", "dialin-access-numbers"),
    ];
    let files = cases
        .iter()
        .enumerate()
        .map(|(i, (header, _))| {
            (
                format!("{i}/export.csv"),
                format!("{header}\r\n").into_bytes(),
            )
        })
        .collect();
    for ((name, kind), (header, expected)) in kinds_of(files).into_iter().zip(cases) {
        assert_eq!(kind.as_deref(), Some(expected), "{name}: {header}");
    }
    // A Get-ADUser dump (no SipAddress) is none of them.
    let dump = vec![(
        "ad.csv".to_string(),
        b"UserPrincipalName,SamAccountName,Department,Title\r\n".to_vec(),
    )];
    assert_eq!(kinds_of(dump)[0].1, None);
}

#[test]
fn kinds_folder_json() {
    let (code, json, stderr) = invlint(&["check", KINDS, "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let parsed: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
    assert_eq!(parsed["findings"].as_array().map(Vec::len), Some(0));
    insta::assert_snapshot!("kinds_json", json);
}

/// Rules skipped for a missing table are told once per table, with its export command, in the
/// human and Markdown summaries; the JSON keeps every rule in `skipped` and adds
/// `missing_tables`.
#[test]
fn missing_tables_are_told_once_each_with_their_command() {
    let (_, json, _) = invlint(&["check", KINDS, "--format", "json"]);
    let parsed: serde_json::Value = serde_json::from_str(&json).expect("valid JSON");
    let missing = parsed["summary"]["missing_tables"]
        .as_array()
        .expect("missing_tables");
    let users = missing
        .iter()
        .find(|m| m["table"] == "users")
        .expect("users is missing");
    assert!(users["export"]
        .as_str()
        .is_some_and(|e| e.starts_with("Get-CsUser")));
    assert!(users["rules"]
        .as_array()
        .is_some_and(|r| r.iter().any(|c| c == "AD001")));
    let skipped = parsed["summary"]["skipped"].as_array().expect("skipped");
    assert!(skipped.iter().any(|s| s["code"] == "AD001"));
    for format in ["human", "markdown"] {
        let (_, out, _) = invlint(&["check", KINDS, "--format", format, "--color", "never"]);
        let lines = out
            .lines()
            .filter(|l| l.contains("no `") || l.contains("no \\`"))
            .count();
        assert_eq!(lines, missing.len(), "{format}: {out}");
        assert!(!out.contains("AD001: no"), "{format}: per-rule line: {out}");
        assert!(
            out.contains("Get-CsUser | Export-Csv") || out.contains("Get-CsUser \\| Export-Csv"),
            "{format}: {out}"
        );
    }
}

/// Get-CsOnlineUser through the SfB Online connector writes the `#TYPE` of Get-CsUser: of the
/// kinds a type names, the one whose signature the header has (the more specific) decides.
#[test]
fn one_type_name_two_cmdlets_the_header_decides() {
    let type_line = "#TYPE Deserialized.Microsoft.Rtc.Management.ADConnect.Schema.OCSADUser\r\n";
    let files = vec![
        (
            "online.csv".to_string(),
            format!("{type_line}\"Identity\",\"UserPrincipalName\",\"SipAddress\",\"RegistrarPool\",\"HostingProvider\",\"InterpretedUserType\"\r\n").into_bytes(),
        ),
        (
            "onprem.csv".to_string(),
            format!("{type_line}\"Identity\",\"UserPrincipalName\",\"SipAddress\",\"RegistrarPool\",\"HostingProvider\"\r\n").into_bytes(),
        ),
    ];
    let kinds: Vec<Option<String>> = kinds_of(files).into_iter().map(|(_, k)| k).collect();
    assert_eq!(
        kinds,
        [Some("online-users".to_string()), Some("users".to_string())]
    );
}

/// A condition on one cell is remembered per distinct value of its column, and a dictionary
/// column numbers its values in the order it meets them: two exports that meet the same
/// values in other orders must still be judged row by row. PL001 groups its findings, so one
/// evaluation context walks both exports.
#[test]
fn remembered_conditions_follow_each_files_own_values() {
    let dir = tempfile::tempdir().expect("tempdir");
    let header = "\"Identity\",\"SipAddress\",\"UserPrincipalName\",\"Enabled\",\"RegistrarPool\",\"VoicePolicy\"\r\n";
    let row = |n: u32, policy: &str| {
        format!(
            "\"CN=User {n}\",\"sip:user{n}@contoso.com\",\"user{n}@contoso.com\",\"True\",\"pool.contoso.com\",\"{policy}\"\r\n"
        )
    };
    // In the first export "Known" is value 0; in the second, "Stale" is.
    let first = format!(
        "{header}{}{}{}",
        row(1, "Known"),
        row(2, "Stale"),
        row(3, "Known")
    );
    let second = format!(
        "{header}{}{}{}",
        row(4, "Stale"),
        row(5, "Known"),
        row(6, "Stale")
    );
    let policies = "\"Identity\",\"PstnUsages\",\"AllowSimulRing\"\r\n\"Global\",\"\",\"True\"\r\n\"Tag:Known\",\"\",\"True\"\r\n";
    std::fs::write(dir.path().join("users-a.csv"), first).expect("write");
    std::fs::write(dir.path().join("users-b.csv"), second).expect("write");
    std::fs::write(dir.path().join("voice-policies.csv"), policies).expect("write");
    let path = dir.path().to_string_lossy().into_owned();
    let (code, out, err) = invlint(&["check", &path, "--select", "PL001", "--format", "json"]);
    // A warning: the gate passes.
    assert_eq!(code, 0, "{err}");
    let json: serde_json::Value = serde_json::from_str(&out).expect("json");
    let findings = json["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 1, "{out}");
    let message = findings[0]["message"].as_str().unwrap_or("");
    assert!(
        message.starts_with("3 user(s) are assigned the voice policy Stale,"),
        "{message}"
    );
}
