//! Reading record sets: whole zones page by page, single sets exactly, and
//! many sets in as few pages as their position in the zone allows.

use std::collections::HashMap;

use aws_sdk_route53::types::{ResourceRecordSet, RrType};
use dns_core::{Error, Name, RecordType, Result};

use crate::encode;
use crate::error::{Attempts, convert_after};
use crate::native::NativeRecordSet;
use crate::plan::{Current, Key};
use crate::provider::{Route53Provider, bare_id};

/// Where a listing page starts: Route 53's StartRecordName/Type/Identifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Start {
    pub(crate) name: String,
    pub(crate) rtype: Option<RrType>,
    pub(crate) identifier: Option<String>,
}

impl Start {
    fn at(name: &Name, rtype: Option<RecordType>) -> Self {
        Self {
            name: encode::owner_name(name),
            rtype: rtype.map(|t| RrType::from(t.to_string().as_str())),
            identifier: None,
        }
    }
}

/// One page of a listing.
pub(crate) struct Page {
    pub(crate) sets: Vec<NativeRecordSet>,
    /// Where the next page starts, when the listing was truncated.
    pub(crate) next: Option<Start>,
}

fn convert_sets(sets: &[ResourceRecordSet]) -> Result<Vec<NativeRecordSet>> {
    sets.iter()
        .map(|s| NativeRecordSet::from_sdk(s).map_err(Error::from))
        .collect()
}

/// What one key holds, given every listed set at that key.
fn current_of(sets: &[NativeRecordSet]) -> Current {
    if let Some(foreign) = sets.iter().find(|s| !s.is_portable()) {
        let more = sets.len() - 1;
        let what = if more == 0 {
            foreign.describe()
        } else {
            format!("{} and {more} more", foreign.describe())
        };
        return Current::Foreign(what);
    }
    sets.first()
        .and_then(|s| s.to_record_set())
        .map_or(Current::Absent, Current::Simple)
}

fn key_of(set: &NativeRecordSet) -> Key {
    (set.name.clone(), set.rtype)
}

impl Route53Provider {
    /// One ListResourceRecordSets call.
    pub(crate) async fn list_page(
        &self,
        zone_id: &str,
        start: Option<&Start>,
        max_items: i32,
    ) -> Result<Page> {
        self.count_request();
        let mut call = self
            .client()
            .list_resource_record_sets()
            .hosted_zone_id(bare_id(zone_id))
            .max_items(max_items);
        if let Some(start) = start {
            call = call
                .start_record_name(&start.name)
                .set_start_record_type(start.rtype.clone())
                .set_start_record_identifier(start.identifier.clone());
        }
        let attempts = Attempts::default();
        let out = call
            .customize()
            .interceptor(attempts.clone())
            .send()
            .await
            .map_err(|e| convert_after(e, Some(zone_id), &attempts))?;
        let next = if out.is_truncated() {
            out.next_record_name().map(|name| Start {
                name: name.to_owned(),
                rtype: out.next_record_type().cloned(),
                identifier: out.next_record_identifier().map(str::to_owned),
            })
        } else {
            None
        };
        Ok(Page {
            sets: convert_sets(out.resource_record_sets())?,
            next,
        })
    }

    /// Every set of the zone, as Route 53 lists them (its order).
    pub(crate) async fn list_all(&self, zone_id: &str) -> Result<Vec<NativeRecordSet>> {
        let mut all = Vec::new();
        let mut start: Option<Start> = None;
        loop {
            let page = self
                .list_page(zone_id, start.as_ref(), self.page_size())
                .await?;
            all.extend(page.sets);
            match page.next {
                Some(next) => start = Some(next),
                None => return Ok(all),
            }
        }
    }

    /// The sets at exactly one key: a page starting at (name, type), read
    /// on while it holds nothing but that key.
    /// Also returns the number of pages read.
    pub(crate) async fn read_exact(&self, zone_id: &str, key: &Key) -> Result<(Current, usize)> {
        let mut found: Vec<NativeRecordSet> = Vec::new();
        let mut start = Start::at(&key.0, Some(key.1));
        let mut pages = 0;
        loop {
            pages += 1;
            let page = self.list_page(zone_id, Some(&start), 10).await?;
            let count = page.sets.len();
            let matching: Vec<NativeRecordSet> = page
                .sets
                .into_iter()
                .take_while(|s| key_of(s) == *key)
                .collect();
            let whole_page = matching.len() == count;
            found.extend(matching);
            match page.next {
                Some(next) if whole_page => start = next,
                _ => return Ok((current_of(&found), pages)),
            }
        }
    }

    /// The sets at many keys. Route 53 lists a zone sorted by reversed
    /// name, so one page starting at the first key answers for every key
    /// sorting before the page's end: a key missing from that range is
    /// absent. Keys the page did not reach start the next read.
    ///
    /// The answer is only as good as our copy of Route 53's order; a key
    /// wrongly taken for absent costs a conflict and an exact re-read
    /// (`read_exact`), never a wrong write, because the CREATE that follows
    /// fails when the set exists.
    ///
    /// Also returns the number of pages read.
    pub(crate) async fn read_window(
        &self,
        zone_id: &str,
        keys: &[Key],
    ) -> Result<(HashMap<Key, Current>, usize)> {
        let mut pending: Vec<(String, Key)> = keys
            .iter()
            .map(|k| (encode::sort_key(&k.0), k.clone()))
            .collect();
        pending.sort();
        pending.dedup();
        let mut found: HashMap<Key, Vec<NativeRecordSet>> = HashMap::new();
        let mut out = HashMap::new();
        let mut cursor: Option<Start> = None;
        let mut pages = 0;
        while let Some((_, first)) = pending.first() {
            pages += 1;
            let start = cursor.take().unwrap_or_else(|| Start::at(&first.0, None));
            let page = self
                .list_page(zone_id, Some(&start), self.page_size())
                .await?;
            for set in page.sets {
                let key = key_of(&set);
                if pending.iter().any(|(_, k)| *k == key) {
                    found.entry(key).or_default().push(set);
                }
            }
            let end = match &page.next {
                Some(next) => Some(encode::sort_key(&encode::parse_name(&next.name)?)),
                None => None,
            };
            pending.retain(|(sort, key)| {
                let reached = end.as_ref().is_none_or(|e| sort < e);
                if reached {
                    let sets = found.remove(key).unwrap_or_default();
                    out.insert(key.clone(), current_of(&sets));
                }
                !reached
            });
            // The page stopped inside the first pending name: go on exactly
            // where it stopped; otherwise jump to the next pending name.
            if let (Some(next), Some(end), Some((sort, _))) = (page.next, end, pending.first())
                && *sort == end
            {
                cursor = Some(next);
            }
        }
        Ok((out, pages))
    }
}
