//! Persistent Chat content: the chat pool's category, add-in and rooms, the rooms listing
//! the users drawn as chat members.

use std::io;
use std::path::Path;

use super::{plant, GenOptions, Planted, Rng, Table};

/// The chat pool's one category and add-in.
const CHAT_POOL: &str = "chat000.contoso.com";

/// Persistent Chat content: categories and rooms per chat pool; planted PC006/PC007.
pub(super) fn write_chat_content(
    dir: &Path,
    options: &GenOptions,
    members: &[String],
    rng: &mut Rng,
    planted: &mut Planted,
) -> io::Result<()> {
    let mut categories = Table::create(
        dir,
        "categories.csv",
        "Microsoft.Rtc.Management.PersistentChat.Cmdlets.CategoryObject",
        &[
            "Identity",
            "Name",
            "Description",
            "PersistentChatPoolFqdn",
            "AllowedMembers",
            "DeniedMembers",
            "Creators",
            "Invitations",
            "FileUpload",
            "ChatHistory",
        ],
        options,
    )?;
    let mut addins = Table::create(
        dir,
        "addins.csv",
        "Microsoft.Rtc.Management.PersistentChat.Cmdlets.AddinObject",
        &["Identity", "Name", "PersistentChatPoolFqdn", "Url"],
        options,
    )?;
    let mut rooms = Table::create(
        dir,
        "rooms.csv",
        "Microsoft.Rtc.Management.PersistentChat.Cmdlets.ChatRoomObject",
        &[
            "Identity",
            "Name",
            "Description",
            "Category",
            "PersistentChatPoolFqdn",
            "Type",
            "Privacy",
            "Invitations",
            "Addin",
            "Disabled",
            "Members",
            "Managers",
            "Presenters",
        ],
        options,
    )?;
    let pool = CHAT_POOL;
    categories.row(&[
        format!("{pool}\\General"),
        "General".into(),
        String::new(),
        pool.into(),
        "OU=Users,DC=contoso,DC=com".into(),
        String::new(),
        String::new(),
        "True".into(),
        "False".into(),
        "True".into(),
    ])?;
    addins.row(&[
        format!("{pool}\\Wiki"),
        "Wiki".into(),
        pool.into(),
        "https://wiki.contoso.com/pchat".into(),
    ])?;
    write_rooms(&mut rooms, options, members, rng, planted)?;
    categories.finish()?;
    addins.finish()?;
    rooms.finish()
}

/// One room per 100 users (at least one), the chat members spread over them; a room at
/// the defect rate is in an unknown category (PC006) or uses an unknown add-in (PC007).
fn write_rooms(
    rooms: &mut Table,
    options: &GenOptions,
    members: &[String],
    rng: &mut Rng,
    planted: &mut Planted,
) -> io::Result<()> {
    let pool = CHAT_POOL;
    let room_count = (options.users / 100).max(1);
    let mut room_members: Vec<Vec<String>> = vec![Vec::new(); room_count];
    for (j, sip) in members.iter().enumerate() {
        room_members[j % room_count].push(sip.clone());
    }
    for (r, listed) in room_members.iter().enumerate() {
        let (category, addin) = if rng.chance(options.defect_rate) {
            if rng.below(2) == 0 {
                plant(planted, "PC006");
                ("Archive".to_string(), "Wiki".to_string())
            } else {
                plant(planted, "PC007");
                ("General".to_string(), "Tracker".to_string())
            }
        } else {
            (
                "General".to_string(),
                if r % 2 == 0 {
                    "Wiki".to_string()
                } else {
                    String::new()
                },
            )
        };
        let name = format!("Room {r}");
        rooms.row(&[
            format!("{pool}\\{name}"),
            name,
            String::new(),
            category,
            pool.into(),
            "Normal".into(),
            "Closed".into(),
            "Inherit".into(),
            addin,
            "False".into(),
            listed.join("; "),
            String::new(),
            String::new(),
        ])?;
    }
    Ok(())
}
