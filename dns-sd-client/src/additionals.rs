//! Which records of an additional section may be kept: only answers to the
//! questions the client would ask next because of this answer (RFC 6763
//! section 12 lists exactly those), and never records for other names.

use std::collections::BTreeSet;

use dns_core::{Name, RData, RecordType};

use crate::ptr_targets;
use crate::transport::Response;

/// The (name, type) questions that the answer to (`question`, `rtype`)
/// leads to:
///
/// * a PTR answer listing instances of a service: SRV and TXT at each
///   instance, then A and AAAA at the targets of the SRV records that came
///   along for those instances;
/// * an SRV answer: A and AAAA at its targets;
/// * anything else: nothing.
///
/// Targets that are not instances of the service, "." and an SRV target
/// equal to its owner lead nowhere.
pub(crate) fn wanted_next(
    question: &Name,
    rtype: RecordType,
    response: &Response,
) -> BTreeSet<(Name, RecordType)> {
    let mut wanted = BTreeSet::new();
    let addresses_of = |owner: &Name, records: &[RData], wanted: &mut BTreeSet<_>| {
        for r in records {
            if let RData::SRV(srv) = r
                && !srv.is_unavailable()
                && srv.target != *owner
            {
                wanted.insert((srv.target.clone(), RecordType::A));
                wanted.insert((srv.target.clone(), RecordType::AAAA));
            }
        }
    };
    match rtype {
        RecordType::PTR => {
            let instances: BTreeSet<&Name> = response
                .answer
                .records()
                .iter()
                .filter_map(|r| match r {
                    RData::PTR(target) if ptr_targets::is_instance(question, target) => {
                        Some(target)
                    }
                    _ => None,
                })
                .collect();
            for instance in &instances {
                wanted.insert(((*instance).clone(), RecordType::SRV));
                wanted.insert(((*instance).clone(), RecordType::TXT));
            }
            for extra in &response.additionals {
                if extra.record_type == RecordType::SRV && instances.contains(&extra.name) {
                    addresses_of(&extra.name, &extra.values, &mut wanted);
                }
            }
        }
        RecordType::SRV => addresses_of(question, response.answer.records(), &mut wanted),
        _ => {}
    }
    wanted
}
