//! The leave protocol as pure functions: what a leaver read goes in, the
//! changes to send come out. [`ServiceRegistry`](crate::ServiceRegistry)
//! runs them in a small read–plan–write loop; keeping the decisions here lets
//! every rule be tested without a provider.

use std::collections::BTreeMap;

use dns_core::{
    Capabilities, Change, Name, Precondition, RData, RecordSet, RecordType, ServiceInstance, Srv,
    Target,
};

/// What a leaver knows about the zone when it plans: the instance's SRV and
/// TXT sets as read, and, for every host whose addresses it would remove,
/// the SRV owners that still point at that host. A plain input record:
/// build it by hand in tests, or with [`LeaveState::from_listing`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeaveState {
    /// The instance's SRV set, as read.
    pub srv: Option<RecordSet>,
    /// The instance's TXT set, as read. `None` when absent or not read.
    pub txt: Option<RecordSet>,
    /// For each host of a leaving target: the SRV owners (any service, any
    /// instance, this one included) holding a value that targets the host
    /// and is not one of the leaving values. A host missing from the map
    /// was not checked, and keeps its addresses (the safe side).
    pub host_users: BTreeMap<Name, Vec<Name>>,
    /// The SRV sets of those other owners, as listed: with preconditions a
    /// leave that keeps a host's addresses because of one of them guards
    /// its batch with "that set is unchanged", so when that owner leaves at
    /// the same moment one of the two plans again and takes the addresses.
    pub user_sets: Vec<RecordSet>,
}

impl LeaveState {
    /// The state read from a listing of the whole zone: the instance's sets
    /// and, for `hosts`, who else points at them. `leaving` are the SRV
    /// values that go (they do not count as users of their host).
    ///
    /// ```
    /// use dns_core::{Name, RData, RecordSet, Srv};
    /// use dns_sd_registry::LeaveState;
    /// let n = |s: &str| Name::parse(s).unwrap();
    /// let srv = |port, host: &str| RData::SRV(Srv::new(0, 0, port, n(host)));
    /// let listing = [
    ///     RecordSet::new(n("web._http._tcp.example.com"), 60, [srv(80, "h1.example.com")]).unwrap(),
    ///     RecordSet::new(n("ssh._ssh._tcp.example.com"), 60, [srv(22, "h1.example.com")]).unwrap(),
    /// ];
    /// let leaving = [Srv::new(0, 0, 80, n("h1.example.com"))];
    /// let state = LeaveState::from_listing(&listing, &n("web._http._tcp.example.com"),
    ///     &leaving, [&n("h1.example.com")]);
    /// assert_eq!(state.host_users[&n("h1.example.com")], [n("ssh._ssh._tcp.example.com")]);
    /// ```
    pub fn from_listing<'a>(
        listing: &[RecordSet],
        instance: &Name,
        leaving: &[Srv],
        hosts: impl IntoIterator<Item = &'a Name>,
    ) -> Self {
        let mut host_users = BTreeMap::new();
        let mut user_sets: Vec<RecordSet> = Vec::new();
        for host in hosts {
            let users: Vec<Name> = listing
                .iter()
                .filter(|s| s.record_type() == RecordType::SRV)
                .filter(|s| {
                    s.values().iter().any(|v| match v {
                        RData::SRV(srv) => {
                            srv.target == *host
                                && !(s.name() == instance && same_endpoint(srv, leaving))
                        }
                        _ => false,
                    })
                })
                .map(|s| s.name().clone())
                .collect();
            for owner in users.iter().filter(|o| *o != instance) {
                if let Some(set) = find_set(listing, owner, RecordType::SRV)
                    && !user_sets.contains(&set)
                {
                    user_sets.push(set);
                }
            }
            host_users.insert(host.clone(), users);
        }
        Self {
            srv: find_set(listing, instance, RecordType::SRV),
            txt: find_set(listing, instance, RecordType::TXT),
            host_users,
            user_sets,
        }
    }
}

/// Whether `srv` is at one of the (host, port) pairs of `ours`: what makes
/// an SRV value a target's own. Priority and weight do not matter, so a
/// leave with a stale configuration still withdraws its target and a
/// re-registration with a new weight replaces its old value.
pub(crate) fn same_endpoint(srv: &Srv, ours: &[Srv]) -> bool {
    ours.iter()
        .any(|o| o.target == srv.target && o.port == srv.port)
}

/// The set at (`name`, `rtype`) in a listing.
pub(crate) fn find_set(listing: &[RecordSet], name: &Name, rtype: RecordType) -> Option<RecordSet> {
    listing
        .iter()
        .find(|s| s.name() == name && s.record_type() == rtype)
        .cloned()
}

/// The changes one leave step sends.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LeavePlan {
    /// One batch, sent as one request; guarded by [`Change::Require`] when
    /// the provider has preconditions.
    pub batch: Vec<Change>,
    /// Removals that follow the batch because together they would not fit
    /// in one request (subtype PTRs and addresses, which are safe to send
    /// late).
    pub after: Vec<Change>,
    /// Whether these were the instance's last SRV values (its TXT and PTRs
    /// go too).
    pub last: bool,
    /// The SRV values withdrawn, as published.
    pub withdrawn: Vec<Srv>,
    /// Address sets removed, per host.
    pub removed_addresses: Vec<RecordSet>,
    /// Hosts whose addresses stay, with an SRV owner that still points at
    /// each.
    pub kept_addresses: Vec<(Name, Name)>,
}

/// The targets of `host` in `srv` (every port), as published, carrying
/// `addresses`: what "leave every port of this host" withdraws.
///
/// ```
/// use dns_core::{Name, RData, RecordSet, Srv};
/// use dns_sd_registry::targets_of_host;
/// let n = |s: &str| Name::parse(s).unwrap();
/// let srv = RecordSet::new(n("web._http._tcp.example.com"), 60, [
///     RData::SRV(Srv::new(0, 10, 80, n("h1.example.com"))),
///     RData::SRV(Srv::new(0, 10, 8080, n("h1.example.com"))),
///     RData::SRV(Srv::new(0, 10, 80, n("h2.example.com"))),
/// ]).unwrap();
/// let mine = targets_of_host(Some(&srv), &n("h1.example.com"), &[]);
/// assert_eq!(mine.iter().map(|t| t.port).collect::<Vec<_>>(), [80, 8080]);
/// ```
pub fn targets_of_host(
    srv: Option<&RecordSet>,
    host: &Name,
    addresses: &[std::net::IpAddr],
) -> Vec<Target> {
    srv.iter()
        .flat_map(|s| s.values())
        .filter_map(|v| match v {
            RData::SRV(srv) if srv.target == *host => {
                let mut t = Target::new(srv.target.clone(), srv.port)
                    .with_priority(srv.priority)
                    .with_weight(srv.weight);
                for ip in addresses {
                    t = t.with_address(*ip);
                }
                Some(t)
            }
            _ => None,
        })
        .collect()
}

/// Plans one step of `instance` leaving: its targets' SRV values go; when
/// they were the last, its TXT, PTR and subtype PTRs go as well; a host's
/// addresses go only when nothing in `state.host_users` still points at it.
///
/// With `caps.preconditions` the batch is guarded by "the SRV set is still
/// exactly what was read" (and, when a host keeps its addresses because of
/// another owner's SRV set, "that set is still what was read"), so a
/// concurrent join or leave makes it fail and the caller plans again from a
/// fresh read. Without, the batch removes only values
/// that were read or are the instance's own, and the caller re-checks
/// afterwards ([`ServiceRegistry`](crate::ServiceRegistry) documents the
/// repair).
///
/// ```
/// use dns_core::{Capabilities, Change, Name, RData, RecordSet, ServiceInstance, Srv, Target};
/// use dns_sd_registry::{plan_leave, LeaveState};
/// let n = |s: &str| Name::parse(s).unwrap();
/// let web = ServiceInstance::new("web", "_http._tcp".parse().unwrap(), n("example.com")).unwrap()
///     .with_target(Target::new(n("h1.example.com"), 80));
/// let two = RecordSet::new(web.name().clone(), 120, [
///     RData::SRV(Srv::new(0, 0, 80, n("h1.example.com"))),
///     RData::SRV(Srv::new(0, 0, 80, n("h2.example.com"))),
/// ]).unwrap();
/// let state = LeaveState { srv: Some(two), ..LeaveState::default() };
/// let plan = plan_leave(&web, &state, &Capabilities::default());
/// assert!(!plan.last); // h2 still serves the instance
/// assert!(matches!(plan.batch[0], Change::Require(_)));
/// assert_eq!(plan.withdrawn.len(), 1);
/// ```
pub fn plan_leave(
    instance: &ServiceInstance,
    state: &LeaveState,
    caps: &Capabilities,
) -> LeavePlan {
    let records = instance.records();
    let name = instance.name();
    let ttl = instance.ttl();
    let leaving: Vec<Srv> = instance.targets().iter().map(Target::srv).collect();
    let (mine, remaining): (Vec<&RData>, Vec<&RData>) = state
        .srv
        .iter()
        .flat_map(|s| s.values())
        .partition(|v| matches!(v, RData::SRV(srv) if same_endpoint(srv, &leaving)));
    let withdrawn: Vec<Srv> = mine
        .iter()
        .filter_map(|v| match v {
            RData::SRV(srv) => Some(srv.clone()),
            _ => None,
        })
        .collect();
    let last = remaining.is_empty();

    // Addresses: a host keeps them while any other SRV value points at it
    // (another port of this instance, another instance, another service),
    // or when nobody checked.
    let mut removed_addresses = Vec::new();
    let mut kept_addresses = Vec::new();
    for set in &records.addresses {
        let host = set.name();
        let in_instance = remaining
            .iter()
            .any(|v| v.target_name() == Some(host))
            .then(|| name.clone());
        let user = in_instance.or_else(|| match state.host_users.get(host) {
            Some(users) => users.first().cloned(),
            // Not checked: keep (never guess on a destructive step).
            None => Some(name.clone()),
        });
        match user {
            Some(owner) => kept_addresses.push((host.clone(), owner)),
            None => removed_addresses.push(set.clone()),
        }
    }

    let guarded = caps.preconditions;
    let mut batch = Vec::new();
    if guarded {
        batch.push(Change::Require(Precondition::unchanged(
            name.clone(),
            RecordType::SRV,
            state.srv.as_ref(),
        )));
    }
    if guarded {
        for (_, owner) in kept_addresses.iter().filter(|(_, o)| o != name) {
            if let Some(set) = state.user_sets.iter().find(|s| s.name() == owner)
                && !batch.contains(&Change::Require(Precondition::exactly(set)))
            {
                batch.push(Change::Require(Precondition::exactly(set)));
            }
        }
    }
    let mut after: Vec<Change> = removed_addresses
        .iter()
        .cloned()
        .map(Change::Remove)
        .collect();
    if last {
        batch.extend(records.ptr.iter().cloned().map(Change::Remove));
        after.extend(records.subtypes.iter().cloned().map(Change::Remove));
        if guarded {
            for rtype in [RecordType::TXT, RecordType::SRV] {
                batch.push(Change::Delete {
                    name: name.clone(),
                    rtype,
                });
            }
        } else {
            // Unguarded, remove only what was read (or is our own): a
            // joiner's SRV value or different TXT written after the read
            // survives, and the caller's re-check restores the rest.
            let txt = state.txt.clone().or_else(|| records.txt.first().cloned());
            batch.extend(txt.into_iter().map(Change::Remove));
            batch.extend(state.srv.iter().cloned().map(Change::Remove));
        }
    } else if let Ok(set) = RecordSet::new(name.clone(), ttl, mine.into_iter().cloned()) {
        batch.push(Change::Remove(set));
    }

    // Subtypes and addresses ride in the (guarded, atomic) batch unless
    // that would make it too large for one request.
    let total: usize = batch.iter().chain(&after).map(Change::record_count).sum();
    if caps.max_records_per_request.is_none_or(|max| total <= max) {
        batch.append(&mut after);
    }
    LeavePlan {
        batch,
        after,
        last,
        withdrawn,
        removed_addresses,
        kept_addresses,
    }
}

/// The changes that announce `instance` again after an unguarded last
/// leave found that a target joined meanwhile: its PTR and subtype PTRs,
/// and the TXT that was removed when none is left.
pub fn plan_restore(
    instance: &ServiceInstance,
    removed_txt: Option<&RecordSet>,
    txt_now: Option<&RecordSet>,
) -> Vec<Change> {
    let records = instance.records();
    let mut changes: Vec<Change> = records
        .ptr
        .into_iter()
        .chain(records.subtypes)
        .map(Change::Add)
        .collect();
    if txt_now.is_none() {
        let txt = removed_txt
            .cloned()
            .or_else(|| records.txt.first().cloned());
        changes.extend(txt.map(Change::Add));
    }
    changes
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    fn n(s: &str) -> Name {
        Name::parse(s).unwrap()
    }

    fn srv(port: u16, host: &str) -> RData {
        RData::SRV(Srv::new(0, 0, port, n(host)))
    }

    fn web(host: &str, port: u16) -> ServiceInstance {
        ServiceInstance::new("web", "_http._tcp".parse().unwrap(), n("example.com"))
            .unwrap()
            .with_target(Target::new(n(host), port).with_address("192.0.2.1".parse().unwrap()))
    }

    fn srv_set(values: Vec<RData>) -> RecordSet {
        RecordSet::new(n("web._http._tcp.example.com"), 120, values).unwrap()
    }

    fn removes(plan: &LeavePlan, name: &str, rtype: RecordType) -> bool {
        plan.batch.iter().chain(&plan.after).any(|c| {
            matches!(c, Change::Remove(_) | Change::Delete { .. })
                && c.name() == &n(name)
                && c.record_type() == rtype
        })
    }

    #[test]
    fn not_last_removes_only_its_own_value_and_keeps_the_ptr() {
        let state = LeaveState {
            srv: Some(srv_set(vec![
                srv(80, "h1.example.com"),
                srv(80, "h2.example.com"),
            ])),
            host_users: [(n("h1.example.com"), vec![])].into(),
            ..LeaveState::default()
        };
        let plan = plan_leave(&web("h1.example.com", 80), &state, &Capabilities::default());
        assert!(!plan.last);
        assert!(!removes(&plan, "_http._tcp.example.com", RecordType::PTR));
        assert!(removes(&plan, "h1.example.com", RecordType::A));
        let Some(Change::Remove(set)) = plan.batch.get(1) else {
            panic!("{:?}", plan.batch)
        };
        assert_eq!(set.values(), [srv(80, "h1.example.com")]);
    }

    #[test]
    fn a_host_another_srv_points_at_keeps_its_addresses() {
        let state = LeaveState {
            srv: Some(srv_set(vec![srv(80, "h1.example.com")])),
            host_users: [(n("h1.example.com"), vec![n("ssh._ssh._tcp.example.com")])].into(),
            ..LeaveState::default()
        };
        let plan = plan_leave(&web("h1.example.com", 80), &state, &Capabilities::default());
        assert!(plan.last);
        assert!(!removes(&plan, "h1.example.com", RecordType::A));
        assert_eq!(
            plan.kept_addresses,
            [(n("h1.example.com"), n("ssh._ssh._tcp.example.com"))]
        );
    }

    #[test]
    fn keeping_addresses_for_another_owner_is_guarded_by_its_set() {
        let ssh = RecordSet::new(
            n("ssh._ssh._tcp.example.com"),
            120,
            [RData::SRV(Srv::new(0, 0, 22, n("h1.example.com")))],
        )
        .unwrap();
        let listing = [srv_set(vec![srv(80, "h1.example.com")]), ssh.clone()];
        let leaving = [Srv::new(0, 0, 80, n("h1.example.com"))];
        let state = LeaveState::from_listing(
            &listing,
            &n("web._http._tcp.example.com"),
            &leaving,
            [&n("h1.example.com")],
        );
        let plan = plan_leave(&web("h1.example.com", 80), &state, &Capabilities::default());
        assert!(
            plan.batch
                .contains(&Change::Require(Precondition::exactly(&ssh))),
            "when ssh leaves at the same moment, one of the two must plan again: {:?}",
            plan.batch
        );
        let unguarded = plan_leave(
            &web("h1.example.com", 80),
            &state,
            &Capabilities::default().with_preconditions(false),
        );
        assert!(
            !unguarded
                .batch
                .iter()
                .any(|c| matches!(c, Change::Require(_)))
        );
    }

    #[test]
    fn an_unchecked_host_keeps_its_addresses() {
        let state = LeaveState {
            srv: Some(srv_set(vec![srv(80, "h1.example.com")])),
            ..LeaveState::default()
        };
        let plan = plan_leave(&web("h1.example.com", 80), &state, &Capabilities::default());
        assert!(plan.removed_addresses.is_empty());
    }

    #[test]
    fn another_port_of_the_same_host_keeps_its_addresses() {
        let state = LeaveState {
            srv: Some(srv_set(vec![
                srv(80, "h1.example.com"),
                srv(81, "h1.example.com"),
            ])),
            host_users: [(n("h1.example.com"), vec![])].into(),
            ..LeaveState::default()
        };
        let plan = plan_leave(&web("h1.example.com", 80), &state, &Capabilities::default());
        assert!(!plan.last);
        assert!(!removes(&plan, "h1.example.com", RecordType::A));
    }

    #[test]
    fn guarded_last_leave_deletes_txt_and_srv_under_a_precondition() {
        let read = srv_set(vec![srv(80, "h1.example.com")]);
        let state = LeaveState {
            srv: Some(read.clone()),
            host_users: [(n("h1.example.com"), vec![])].into(),
            ..LeaveState::default()
        };
        let plan = plan_leave(&web("h1.example.com", 80), &state, &Capabilities::default());
        assert!(plan.last);
        assert_eq!(
            plan.batch[0],
            Change::Require(Precondition::exactly(&read)),
            "the batch must be guarded by the SRV set as read"
        );
        for (name, rtype) in [
            ("web._http._tcp.example.com", RecordType::TXT),
            ("web._http._tcp.example.com", RecordType::SRV),
            ("_http._tcp.example.com", RecordType::PTR),
            ("h1.example.com", RecordType::A),
        ] {
            assert!(removes(&plan, name, rtype), "{name} {rtype} stays");
        }
    }

    #[test]
    fn unguarded_last_leave_removes_only_what_it_read() {
        let txt = RecordSet::new(
            n("web._http._tcp.example.com"),
            120,
            [RData::TXT(dns_core::Txt::new(["v=2"]).unwrap())],
        )
        .unwrap();
        let state = LeaveState {
            srv: Some(srv_set(vec![srv(80, "h1.example.com")])),
            txt: Some(txt.clone()),
            host_users: [(n("h1.example.com"), vec![])].into(),
            ..LeaveState::default()
        };
        let caps = Capabilities::default().with_preconditions(false);
        let plan = plan_leave(&web("h1.example.com", 80), &state, &caps);
        assert!(!plan.batch.iter().any(|c| matches!(
            c,
            Change::Require(_) | Change::Delete { .. } | Change::Upsert(_)
        )));
        assert!(plan.batch.contains(&Change::Remove(txt)));
    }

    #[test]
    fn a_stale_priority_still_withdraws_the_target() {
        let published = RData::SRV(Srv::new(5, 50, 80, n("h1.example.com")));
        let state = LeaveState {
            srv: Some(srv_set(vec![published, srv(80, "h2.example.com")])),
            ..LeaveState::default()
        };
        let plan = plan_leave(&web("h1.example.com", 80), &state, &Capabilities::default());
        assert_eq!(plan.withdrawn, [Srv::new(5, 50, 80, n("h1.example.com"))]);
    }

    #[test]
    fn a_small_request_limit_moves_subtypes_and_addresses_after() {
        let caps = Capabilities::default().with_max_records_per_request(Some(4));
        let inst = web("h1.example.com", 80)
            .with_subtype("_a".parse().unwrap())
            .with_subtype("_b".parse().unwrap());
        let state = LeaveState {
            srv: Some(srv_set(vec![srv(80, "h1.example.com")])),
            host_users: [(n("h1.example.com"), vec![])].into(),
            ..LeaveState::default()
        };
        let plan = plan_leave(&inst, &state, &caps);
        assert_eq!(plan.after.len(), 3, "{:?}", plan.after);
        assert!(plan.batch.iter().map(Change::record_count).sum::<usize>() <= 4);
    }

    #[test]
    fn from_listing_ignores_the_leaving_values_only() {
        let listing = [
            srv_set(vec![srv(80, "h1.example.com"), srv(81, "h1.example.com")]),
            RecordSet::new(
                n("other.example.com"),
                60,
                [RData::A("192.0.2.9".parse().unwrap())],
            )
            .unwrap(),
        ];
        let leaving = [Srv::new(0, 0, 80, n("h1.example.com"))];
        let state = LeaveState::from_listing(
            &listing,
            &n("web._http._tcp.example.com"),
            &leaving,
            [&n("h1.example.com")],
        );
        assert_eq!(
            state.host_users[&n("h1.example.com")],
            [n("web._http._tcp.example.com")],
            "port 81 still uses the host"
        );
        assert!(state.srv.is_some() && state.txt.is_none());
    }

    #[test]
    fn restore_adds_back_the_removed_txt_only_when_none_is_left() {
        let inst = web("h1.example.com", 80);
        let txt = inst.records().txt[0].clone();
        let changes = plan_restore(&inst, Some(&txt), None);
        assert!(changes.contains(&Change::Add(txt.clone())));
        let changes = plan_restore(&inst, Some(&txt), Some(&txt));
        assert!(!changes.iter().any(|c| c.record_type() == RecordType::TXT));
    }
}
