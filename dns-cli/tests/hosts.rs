//! `dnsctl hosts`: the marked block is replaced atomically, the rest of the
//! file kept, and nothing is written when discovery fails or finds nothing.
#![allow(clippy::unwrap_used, reason = "tests")]

mod support;

use std::path::PathBuf;
use std::sync::Arc;

use dns_core::{InMemoryProvider, Name, ServiceInstance, Target};
use dns_sd_registry::ServiceRegistry;
use dns_testkit::TestServer;
use support::{argv, run};

fn file(name: &str, contents: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("hosts-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("hosts");
    std::fs::write(&path, contents).unwrap();
    path
}

const MINE: &str = "127.0.0.1\tlocalhost\n# my own entries\n10.0.0.5 db.internal\n";

async fn served(hosts: &[(&str, &str)]) -> (TestServer, ServiceRegistry) {
    let memory = InMemoryProvider::new();
    memory
        .create_zone(Name::parse("example.com").unwrap())
        .unwrap();
    let server = TestServer::start(memory.clone()).await.unwrap();
    let registry = ServiceRegistry::new(Arc::new(memory));
    for (host, ip) in hosts {
        let i = ServiceInstance::new(
            "web",
            "_http._tcp".parse().unwrap(),
            Name::parse("example.com").unwrap(),
        )
        .unwrap()
        .with_target(Target::new(Name::parse(host).unwrap(), 80).with_address(ip.parse().unwrap()));
        registry.register(&i).await.unwrap();
    }
    (server, registry)
}

#[tokio::test]
async fn the_block_is_written_then_replaced_keeping_other_lines() {
    let (server, registry) = served(&[
        ("web-1.example.com", "192.0.2.1"),
        ("web-2.example.com", "192.0.2.2"),
    ])
    .await;
    let addr = server.addr().to_string();
    let path = file("write", MINE);
    let out = run(&argv(&format!(
        "--server {addr} hosts --service _http._tcp.example.com --output {}",
        path.to_str().unwrap()
    )))
    .await
    .ok();
    assert!(
        out.stdout.contains("updated (2 address(es))"),
        "{}",
        out.stdout
    );
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with(MINE), "{text}");
    assert!(text.contains("# BEGIN dnsctl _http._tcp.example.com.\n"));
    assert!(
        text.contains("192.0.2.1\tweb-1.example.com\n192.0.2.2\tweb-2.example.com\n"),
        "{text}"
    );
    assert!(text.ends_with("# END dnsctl _http._tcp.example.com.\n"));

    // web-1 leaves; the user adds a line after the block meanwhile.
    std::fs::write(&path, format!("{text}10.0.0.6 cache.internal\n")).unwrap();
    let gone = ServiceInstance::new(
        "web",
        "_http._tcp".parse().unwrap(),
        Name::parse("example.com").unwrap(),
    )
    .unwrap()
    .with_target(
        Target::new(Name::parse("web-1.example.com").unwrap(), 80)
            .with_address("192.0.2.1".parse().unwrap()),
    );
    registry.deregister(&gone).await.unwrap();
    run(&argv(&format!(
        "--server {addr} hosts --service _http._tcp.example.com --output {}",
        path.to_str().unwrap()
    )))
    .await
    .ok();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains("web-1"), "{text}");
    assert!(text.contains("192.0.2.2\tweb-2.example.com\n"));
    assert!(
        text.starts_with(MINE)
            && text.ends_with("# END dnsctl _http._tcp.example.com.\n10.0.0.6 cache.internal\n"),
        "{text}"
    );
    assert_eq!(text.matches("# BEGIN dnsctl").count(), 1);

    // Same answer again: the file is left as it is.
    let again = run(&argv(&format!(
        "--server {addr} hosts --service _http._tcp.example.com --output {}",
        path.to_str().unwrap()
    )))
    .await
    .ok();
    assert!(again.stdout.contains("unchanged"), "{}", again.stdout);
    // No temporary file is left behind.
    let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers, ["hosts"]);
}

#[tokio::test]
async fn a_failed_discovery_leaves_the_file_untouched() {
    let path = file("unreachable", MINE);
    let before = std::fs::metadata(&path).unwrap().modified().unwrap();
    let out = run(&argv(&format!(
        "--server 127.0.0.1:9 --timeout 300ms hosts --service _http._tcp.example.com --output {}",
        path.to_str().unwrap()
    )))
    .await;
    out.fails(1, &["_http._tcp.example.com"]);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), MINE);
    assert_eq!(
        std::fs::metadata(&path).unwrap().modified().unwrap(),
        before
    );
}

#[tokio::test]
async fn an_empty_result_is_refused_unless_allowed() {
    let (server, _registry) = served(&[]).await;
    let addr = server.addr().to_string();
    let path = file("empty", MINE);
    let out = run(&argv(&format!(
        "--server {addr} hosts --service _http._tcp.example.com --output {}",
        path.to_str().unwrap()
    )))
    .await;
    out.fails(
        1,
        &["no addresses found", "left as it was", "--allow-empty"],
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), MINE);
    run(&argv(&format!(
        "--server {addr} hosts --service _http._tcp.example.com --output {} --allow-empty",
        path.to_str().unwrap()
    )))
    .await
    .ok();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.starts_with(MINE) && text.contains("# BEGIN dnsctl"),
        "{text}"
    );
}

#[tokio::test]
async fn a_damaged_block_is_not_guessed_at() {
    let (server, _registry) = served(&[("web-1.example.com", "192.0.2.1")]).await;
    let addr = server.addr().to_string();
    let damaged = format!("{MINE}# BEGIN dnsctl _http._tcp.example.com.\n192.0.2.9 old\n");
    let path = file("damaged", &damaged);
    let out = run(&argv(&format!(
        "--server {addr} hosts --service _http._tcp.example.com --output {}",
        path.to_str().unwrap()
    )))
    .await;
    out.fails(1, &["without", "# END dnsctl"]);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), damaged);
}

/// Runs `dnsctl hosts` for one served host into `path`.
async fn write_hosts(path: &std::path::Path) -> support::Run {
    let (server, _registry) = served(&[("web-1.example.com", "192.0.2.1")]).await;
    run(&argv(&format!(
        "--server {} hosts --service _http._tcp.example.com --output {}",
        server.addr(),
        path.to_str().unwrap()
    )))
    .await
}

/// The file is replaced by a rename (a new inode: readers holding the old
/// one never see a part), and keeps its mode, owner and group.
#[cfg(unix)]
#[tokio::test]
async fn the_file_is_replaced_not_rewritten_and_keeps_mode_and_owner() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let path = file("replace", MINE);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    // As root, give the file another owner, as /etc/hosts has; otherwise
    // it stays ours, and keeping it is still checked.
    let _ = std::os::unix::fs::chown(&path, Some(4242), Some(4343));
    let before = std::fs::metadata(&path).unwrap();

    write_hosts(&path).await.ok();
    let after = std::fs::metadata(&path).unwrap();
    assert_ne!(
        before.ino(),
        after.ino(),
        "renamed over, not written in place"
    );
    assert_eq!(after.mode() & 0o7777, 0o640);
    assert_eq!((after.uid(), after.gid()), (before.uid(), before.gid()));
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .contains("192.0.2.1\tweb-1.example.com")
    );
    let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// A symbolic link is refused before anything is asked: renaming over it
/// would replace the link, writing through it would not be atomic.
#[cfg(unix)]
#[tokio::test]
async fn a_symlinked_output_is_refused_and_its_target_untouched() {
    let target = file("symlink-target", MINE);
    let link = target.with_file_name("hosts-link");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let out = write_hosts(&link).await;
    out.fails(2, &["is a symbolic link", "give the file itself"]);
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(std::fs::read_to_string(&target).unwrap(), MINE);
}

fn fresh_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("hosts-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The edges of the file itself: a last line without a newline, a file
/// that does not exist yet, a bare file name (the current directory), and
/// a directory given as the output.
#[tokio::test]
async fn the_file_edges() {
    let (server, _registry) = served(&[("web-1.example.com", "192.0.2.1")]).await;
    let addr = server.addr().to_string();
    let hosts = |output: &str| {
        format!("--server {addr} hosts --service _http._tcp.example.com --output {output}")
    };

    let path = file("no-newline", "127.0.0.1 localhost");
    run(&argv(&hosts(path.to_str().unwrap()))).await.ok();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.starts_with("127.0.0.1 localhost\n# BEGIN dnsctl _http._tcp.example.com.\n"),
        "the block must start on a line of its own: {text:?}"
    );

    let dir = fresh_dir("new");
    let path = dir.join("hosts");
    run(&argv(&hosts(path.to_str().unwrap()))).await.ok();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("# BEGIN dnsctl"), "{text:?}");

    let dir = fresh_dir("relative");
    let mut cmd = support::dnsctl(&argv(&hosts("hosts.relative")));
    cmd.current_dir(&dir);
    support::run_cmd(cmd).await.ok();
    let mut left: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(
        left,
        ["hosts.relative"],
        "written in the current directory, no temporary left"
    );

    let dir = fresh_dir("is-dir");
    let out = run(&argv(&hosts(dir.to_str().unwrap()))).await;
    out.fails(1, &["reading"]);
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        0,
        "nothing written into it"
    );
}
