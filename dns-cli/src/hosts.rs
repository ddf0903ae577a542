//! `hosts`: a hosts file block for clients without DNS-SD, replaced
//! atomically and never with an incomplete or empty result.

use std::collections::BTreeMap;
use std::io::Write;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use dns_core::{Name, RData};

use crate::cli::{Global, HostsArgs};
use crate::discover;
use crate::failure::{Context, Failure};
use crate::output;
use crate::provider;

const BEGIN: &str = "# BEGIN dnsctl";
const END: &str = "# END dnsctl";

/// `dnsctl hosts`.
pub(crate) async fn run(global: &Global, args: &HostsArgs) -> Result<(), Failure> {
    // Check the file is usable before asking anyone anything.
    let existing = read_existing(&args.output)?;
    let (key, entries) = if args.from_zone {
        from_zone(global).await?
    } else {
        from_services(global, args).await?
    };
    let entries = valid_host_names(entries);
    let count: usize = entries.values().map(Vec::len).sum();
    if count == 0 && !args.allow_empty {
        return Err(Failure::failed(format!(
            "{key}: no addresses found; {} left as it was (--allow-empty writes an empty block)",
            args.output.display()
        )));
    }
    let block = render_block(&key, &entries);
    let updated = replace_block(&existing, &key, &block)
        .map_err(|why| Failure::failed(format!("{}: {why}", args.output.display())))?;
    if updated == existing {
        return report(global, &args.output, count, false);
    }
    write_atomically(&args.output, &updated)?;
    report(global, &args.output, count, true)
}

fn report(global: &Global, path: &Path, count: usize, changed: bool) -> Result<(), Failure> {
    if global.json {
        #[derive(serde::Serialize)]
        struct Written<'a> {
            output: &'a str,
            entries: usize,
            changed: bool,
        }
        let output = path.to_string_lossy();
        return output::json(
            &Written {
                output: &output,
                entries: count,
                changed,
            },
            false,
        );
    }
    let state = if changed { "updated" } else { "unchanged" };
    output::line(&format!(
        "{}: {state} ({count} address(es))",
        path.display()
    ))
}

type Entries = BTreeMap<Name, Vec<IpAddr>>;

async fn from_services(global: &Global, args: &HostsArgs) -> Result<(String, Entries), Failure> {
    let client = discover::client(global)?;
    let mut entries = Entries::new();
    let mut names = Vec::new();
    for service in &args.services {
        let found = discover::discover_service(&client, service).await?;
        if let Some(failure) = discover::incomplete(&found) {
            return Err(Failure::failed(format!(
                "{}; {} left as it was",
                failure.message().unwrap_or_default(),
                args.output.display()
            )));
        }
        names.push(found.service.to_string());
        for (host, ips) in discover::addresses_by_host(&found) {
            let list = entries.entry(host).or_default();
            list.extend(
                ips.into_iter()
                    .filter(|ip| !list.contains(ip))
                    .collect::<Vec<_>>(),
            );
        }
    }
    // The block's key must not depend on the order of --service flags.
    names.sort();
    names.dedup();
    Ok((names.join(" "), entries))
}

async fn from_zone(global: &Global) -> Result<(String, Entries), Failure> {
    let (kind, domain) = provider::require(global, "hosts --from-zone")?;
    let target = provider::connect(global, kind, domain).await?;
    let zone = target.zone_for(&target.domain).await?;
    let sets = target
        .provider
        .list_record_sets(&zone)
        .await
        .context(format_args!("listing {}", zone.name))?;
    let mut entries = Entries::new();
    for set in sets
        .iter()
        .filter(|s| s.name().is_subdomain_of(&target.domain))
    {
        // A hosts file has no wildcards.
        if set.name().labels().iter().any(|l| l.is_wildcard()) {
            continue;
        }
        for value in set.values() {
            let ip = match value {
                RData::A(v4) => IpAddr::V4(*v4),
                RData::AAAA(v6) => IpAddr::V6(*v6),
                _ => continue,
            };
            entries.entry(set.name().clone()).or_default().push(ip);
        }
    }
    Ok((format!("zone {}", target.domain), entries))
}

fn read_existing(path: &Path) -> Result<String, Failure> {
    // Renaming over a symbolic link would replace the link, not the file it
    // points to, and quietly change how the system is set up; writing
    // through it would not be atomic. Neither is a guess to make.
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        let target = std::fs::read_link(path)
            .map(|t| format!(" (to {})", t.display()))
            .unwrap_or_default();
        return Err(Failure::usage(format!(
            "--output {}: is a symbolic link{target}; give the file itself",
            path.display()
        )));
    }
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
        Err(e) => Err(Failure::failed(format!("reading {}: {e}", path.display()))),
    }
}

/// Only names a hosts file can hold: every label letters, digits and
/// inner hyphens (RFC 952, RFC 1123 section 2.1), at most 63 octets. A name
/// from DNS with anything else (spaces, underscores, control characters,
/// UTF-8) is left out with a warning instead of being written in some
/// escaped form that resolvers would read as another name.
fn valid_host_names(entries: Entries) -> Entries {
    entries
        .into_iter()
        .filter(|(name, _)| {
            let valid = name.is_host_name();
            if !valid {
                output::warn(&format!(
                    "{name} is not a valid host name (letters, digits and inner hyphens); \
                     left out of the hosts file"
                ));
            }
            valid
        })
        .collect()
}

/// Host names without the trailing dot, as resolvers read hosts files.
fn render_block(key: &str, entries: &Entries) -> String {
    let mut block = format!(
        "{BEGIN} {key}\n# written by dnsctl hosts; changes inside this block are overwritten\n"
    );
    for (host, ips) in entries {
        let host = host.to_string();
        let host = host.trim_end_matches('.');
        for ip in ips {
            block.push_str(&format!("{ip}\t{host}\n"));
        }
    }
    block.push_str(&format!("{END} {key}\n"));
    block
}

/// The file with the block for `key` replaced (or appended); every other
/// line kept as it was.
fn replace_block(existing: &str, key: &str, block: &str) -> Result<String, String> {
    let begin = format!("{BEGIN} {key}");
    let end = format!("{END} {key}");
    let lines: Vec<&str> = existing.split_inclusive('\n').collect();
    let start = lines.iter().position(|l| l.trim_end() == begin);
    let Some(start) = start else {
        let mut out = existing.to_owned();
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(block);
        return Ok(out);
    };
    let stop = lines[start..]
        .iter()
        .position(|l| l.trim_end() == end)
        .map(|i| start + i)
        .ok_or_else(|| {
            format!("has {begin:?} without {end:?}; fix the file by hand, dnsctl will not guess where the block ends")
        })?;
    let mut out: String = lines[..start].concat();
    out.push_str(block);
    out.push_str(&lines[stop + 1..].concat());
    Ok(out)
}

/// The directory of `path` and a temporary file name in it: beside the
/// file, so the rename stays on one file system (a rename across file
/// systems fails, and a copy would not be atomic).
fn temp_beside(path: &Path) -> Result<(PathBuf, PathBuf), Failure> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let file_name = path
        .file_name()
        .ok_or_else(|| Failure::usage(format!("--output {}: not a file name", path.display())))?;
    let temp = dir.join(format!(
        ".{}.dnsctl-{}.tmp",
        file_name.to_string_lossy(),
        std::process::id()
    ));
    Ok((dir, temp))
}

/// Writes a temporary file beside `path` (same file system, same
/// permissions and, on Unix, same owner and group), syncs it and renames it
/// over `path`: readers see the old file or the new one, never a part. An
/// owner that cannot be kept (not running as root or as the owner) is an
/// error and the file is left as it was.
fn write_atomically(path: &Path, contents: &str) -> Result<(), Failure> {
    let (dir, temp) = temp_beside(path)?;
    let result = (|| -> std::io::Result<()> {
        let mut file = std::fs::File::create(&temp)?;
        if let Ok(meta) = std::fs::metadata(path) {
            file.set_permissions(meta.permissions())?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::MetadataExt;
                std::os::unix::fs::fchown(&file, Some(meta.uid()), Some(meta.gid())).map_err(
                    |e| {
                        std::io::Error::new(
                            e.kind(),
                            format!(
                                "keeping its owner (uid {}, gid {}): {e}",
                                meta.uid(),
                                meta.gid()
                            ),
                        )
                    },
                )?;
            }
        }
        file.write_all(contents.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&temp, path)?;
        // Make the rename itself durable; not every file system allows it.
        if let Ok(d) = std::fs::File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result.context(format_args!("replacing {}", path.display()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    fn entries() -> Entries {
        let mut e = Entries::new();
        e.insert(
            Name::parse("web-1.example.com").unwrap(),
            vec!["192.0.2.1".parse().unwrap()],
        );
        e
    }

    #[test]
    fn the_temporary_file_is_beside_the_output() {
        let (dir, temp) = temp_beside(Path::new("/etc/hosts")).unwrap();
        assert_eq!(dir, Path::new("/etc"));
        assert_eq!(temp.parent(), Some(Path::new("/etc")));
        let (dir, temp) = temp_beside(Path::new("hosts")).unwrap();
        assert_eq!(dir, Path::new("."));
        assert_eq!(temp.parent(), Some(Path::new(".")));
        assert!(temp_beside(Path::new("/")).is_err(), "no file name");
    }

    #[test]
    fn a_block_appended_to_a_last_line_without_newline_starts_its_own() {
        let block = render_block("k", &entries());
        let out = replace_block("10.0.0.1 db", "k", &block).unwrap();
        assert_eq!(out, format!("10.0.0.1 db\n{block}"));
        assert_eq!(replace_block("", "k", &block).unwrap(), block);
    }

    #[test]
    fn blocks_are_appended_then_replaced_in_place() {
        let original = "127.0.0.1\tlocalhost\n# mine\n10.0.0.1 db";
        let block = render_block("k", &entries());
        let once = replace_block(original, "k", &block).unwrap();
        assert!(once.starts_with("127.0.0.1\tlocalhost\n# mine\n10.0.0.1 db\n# BEGIN dnsctl k\n"));
        assert!(once.contains("192.0.2.1\tweb-1.example.com\n"));
        let with_tail = format!("{once}10.0.0.9 after\n");
        let mut other = Entries::new();
        other.insert(
            Name::parse("web-2.example.com").unwrap(),
            vec!["192.0.2.2".parse().unwrap()],
        );
        let twice = replace_block(&with_tail, "k", &render_block("k", &other)).unwrap();
        assert!(!twice.contains("web-1"));
        assert!(twice.contains("192.0.2.2\tweb-2.example.com\n"));
        assert!(twice.ends_with("# END dnsctl k\n10.0.0.9 after\n"));
        assert!(twice.starts_with("127.0.0.1\tlocalhost\n# mine\n"));
        // Another key's block is left alone.
        let both = replace_block(&twice, "other", &render_block("other", &entries())).unwrap();
        assert!(both.contains("web-2") && both.contains("web-1"));
    }

    #[test]
    fn only_host_names_reach_the_file() {
        let mut e = entries();
        for odd in [
            r"evil\010127.0.0.1.example.com",
            r"a\032b.example.com",
            "_x.example.com",
            "-a.example.com",
            r"caf\195\169.example.com",
        ] {
            e.insert(
                Name::parse(odd).unwrap(),
                vec!["192.0.2.9".parse().unwrap()],
            );
        }
        let kept = valid_host_names(e);
        assert_eq!(kept.len(), 1, "{kept:?}");
        let block = render_block("k", &kept);
        assert!(!block.contains("192.0.2.9"), "{block}");
        assert!(block.contains("web-1.example.com"));
    }

    #[test]
    fn an_unterminated_block_is_an_error() {
        let broken = "# BEGIN dnsctl k\n1.2.3.4 x\n";
        assert!(
            replace_block(broken, "k", "")
                .unwrap_err()
                .contains("without")
        );
    }
}
