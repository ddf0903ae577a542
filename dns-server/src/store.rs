//! [`ZoneStore`]: zones kept in a directory across restarts.

use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use dns_core::{DnsProvider, InMemoryProvider, Name, RData, RecordSet, RecordType, Zone};
use serde::{Deserialize, Serialize};

/// The zones of a server kept in a directory, one JSON file per zone
/// (`example.test.json`: its record sets, values in presentation form).
///
/// [`save`](Self::save) writes a temporary file beside the zone's file,
/// syncs it and renames it over the old one, so a crash at any moment
/// leaves either the previous state or the new one, never a mix; the
/// server saves after every update it applied.
///
/// ```
/// use dns_core::{InMemoryProvider, Name};
/// use dns_server::ZoneStore;
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let dir = std::env::temp_dir().join(format!("zone-store-doc-{}", std::process::id()));
/// let store = ZoneStore::open(&dir)?;
/// let provider = InMemoryProvider::new();
/// let zone = store.load_or_create(&provider, &Name::parse("example.test")?)?;
/// store.save(&provider, &zone).await?;
/// let again = InMemoryProvider::new();
/// store.load_or_create(&again, &zone.name)?;
/// assert_eq!(again.serial(&zone.name).is_some(), true);
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct ZoneStore {
    dir: PathBuf,
}

/// A stored record set.
#[derive(Debug, Serialize, Deserialize)]
struct StoredSet {
    name: String,
    #[serde(rename = "type")]
    rtype: String,
    ttl: u32,
    values: Vec<String>,
}

impl ZoneStore {
    /// Uses `dir`, creating it when missing.
    ///
    /// # Errors
    ///
    /// When the directory cannot be created.
    pub fn open(dir: impl AsRef<Path>) -> io::Result<Self> {
        let dir = dir.as_ref().to_path_buf();
        fs::create_dir_all(&dir)?;
        Ok(Self { dir })
    }

    /// The file that holds `zone`.
    pub fn path(&self, zone: &Name) -> PathBuf {
        let shown = zone.to_string();
        let file: String = shown
            .trim_end_matches('.')
            .chars()
            .map(|c| if c == '/' || c == '\\' { '_' } else { c })
            .collect();
        self.dir.join(format!("{file}.json"))
    }

    /// Puts `zone` into `provider`: from its file when there is one, else
    /// new (SOA and NS at the apex).
    ///
    /// # Errors
    ///
    /// When the file cannot be read or does not hold valid record sets
    /// (`InvalidData`, naming the set).
    pub fn load_or_create(&self, provider: &InMemoryProvider, zone: &Name) -> io::Result<Zone> {
        let created = provider
            .create_zone(zone.clone())
            .map_err(io::Error::other)?;
        let path = self.path(zone);
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(created),
            Err(e) => return Err(e),
        };
        let bad = |why: String| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{}: {why}", path.display()),
            )
        };
        let stored: Vec<StoredSet> = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
        for s in stored {
            let set = restore(&s).map_err(|why| bad(format!("{} {}: {why}", s.name, s.rtype)))?;
            if !set.name().is_subdomain_of(zone) {
                return Err(bad(format!("{} is outside {zone}", set.name())));
            }
            provider
                .insert_unchecked(&created, set)
                .map_err(io::Error::other)?;
        }
        Ok(created)
    }

    /// Writes `zone`'s current sets to its file, atomically.
    ///
    /// # Errors
    ///
    /// When the zone cannot be read or the file cannot be written; the
    /// previous file is then left as it was.
    pub async fn save(&self, provider: &InMemoryProvider, zone: &Zone) -> io::Result<()> {
        let sets = provider
            .list_record_sets(zone)
            .await
            .map_err(io::Error::other)?;
        let stored: Vec<StoredSet> = sets
            .iter()
            .map(|s| StoredSet {
                name: s.name().to_string(),
                rtype: s.record_type().to_string(),
                ttl: s.ttl(),
                values: s.values().iter().map(ToString::to_string).collect(),
            })
            .collect();
        let text = serde_json::to_string_pretty(&stored).map_err(io::Error::other)?;
        let path = self.path(&zone.name);
        let dir = self.dir.clone();
        tokio::task::spawn_blocking(move || write_atomically(&dir, &path, text.as_bytes()))
            .await
            .map_err(io::Error::other)?
    }
}

fn restore(s: &StoredSet) -> Result<RecordSet, String> {
    let name = Name::parse(&s.name).map_err(|e| e.to_string())?;
    let rtype: RecordType = s
        .rtype
        .parse()
        .map_err(|e: dns_core::ParseError| e.to_string())?;
    let values = s
        .values
        .iter()
        .map(|v| RData::parse(rtype, v).map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    RecordSet::with_type(name, rtype, s.ttl, values).map_err(|e| e.to_string())
}

fn write_atomically(dir: &Path, path: &Path, contents: &[u8]) -> io::Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = fs::File::create(&temp)?;
        file.write_all(contents)?;
        file.sync_all()?;
        fs::rename(&temp, path)?;
        // The rename itself is durable once the directory is synced.
        if let Ok(d) = fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}
