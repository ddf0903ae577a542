//! Which SRV records of an instance a client may use. The records come from
//! the network, so the ones that cannot lead to a working connection, or
//! that would reintroduce what RFC 2782 forbids, are dropped before
//! selection sees them.

use dns_core::{Name, Srv};

/// The usable records of the SRV set at `owner`:
///
/// * a target equal to the owner name is dropped: it would make the client
///   ask for addresses at the service's own name, the fallback RFC 2782
///   rules out (and an instance label is no host name);
/// * port 0 with a real target is dropped: nothing can be reached there;
/// * "." records are dropped when a usable record remains: "." alone means
///   "decidedly not available" (RFC 2782), and one such record among real
///   ones must not take the others down. When only "." records remain they
///   are kept, so the instance reads as unavailable.
///
/// An empty result means the instance has no usable SRV record.
pub(crate) fn usable(owner: &Name, records: Vec<Srv>) -> Vec<Srv> {
    let mut kept: Vec<Srv> = records
        .into_iter()
        .filter(|srv| {
            let why = if srv.is_unavailable() {
                None
            } else if srv.target == *owner {
                Some("its target is the instance name itself")
            } else if srv.port == 0 {
                Some("its port is 0")
            } else {
                None
            };
            if let Some(why) = why {
                tracing::warn!(%owner, srv_target = %srv.target, port = srv.port, "ignoring an SRV record: {why}");
            }
            why.is_none()
        })
        .collect();
    if kept.iter().any(|srv| !srv.is_unavailable()) {
        kept.retain(|srv| !srv.is_unavailable());
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn srv(port: u16, target: &str) -> Srv {
        Srv::new(0, 0, port, Name::parse(target).unwrap())
    }

    #[test]
    fn dots_stay_only_when_alone() {
        let owner = Name::parse("i._x._tcp.example.com").unwrap();
        assert_eq!(usable(&owner, vec![srv(0, "."), srv(0, ".")]).len(), 2);
        assert_eq!(
            usable(&owner, vec![srv(0, "."), srv(80, "h.example.com")]),
            vec![srv(80, "h.example.com")]
        );
        assert!(usable(&owner, vec![srv(80, "I._X._tcp.example.com")]).is_empty());
        assert!(usable(&owner, vec![srv(0, "h.example.com")]).is_empty());
    }
}
