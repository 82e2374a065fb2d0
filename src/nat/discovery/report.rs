//! The report of a NAT discovery: what each test saw, the verdicts on mapping and filtering
//! and the reasons for them, as `nat-type` prints them and its `--json` carries them.

use super::*;

/// One test in the report.
#[derive(Debug, Clone, Serialize)]
pub struct TestReport {
    /// `mapping-1`...
    pub name: TestName,
    /// What it does.
    pub description: &'static str,
    /// Which socket.
    pub socket: Socket,
    /// The socket's local address.
    pub local_address: Option<SocketAddr>,
    /// Where the request went.
    pub destination: Option<SocketAddr>,
    /// `ip+port`, `port` or null.
    pub change_request: Option<&'static str>,
    /// Where the answer had to come from.
    pub expected_from: Option<SocketAddr>,
    /// `answered`, `error`, `wrong-source`, `timeout`, `unreachable`, `not-run`, `received`.
    pub outcome: &'static str,
    /// Where the answer came from.
    pub from: Option<SocketAddr>,
    /// The mapped address in the answer.
    pub mapped_address: Option<SocketAddr>,
    /// The answer's attributes.
    pub answer: Option<Answer>,
    /// How many requests were sent.
    pub transmissions: Option<u32>,
    /// From the first send to the end.
    pub elapsed_ms: Option<f64>,
    /// The round trip, when measured unambiguously.
    pub rtt_ms: Option<f64>,
    /// The STUN error, if any.
    pub error: Option<ErrorReport>,
    /// The outcome in words.
    pub detail: String,
}

/// A STUN error in a report.
#[derive(Debug, Clone, Serialize)]
pub struct ErrorReport {
    /// The code.
    pub code: u16,
    /// The reason phrase.
    pub reason: String,
}

fn ms(d: Duration) -> f64 {
    crate::core::output::millis(d)
}

/// The verdict and its evidence; serialises to the `nat-type --json` document.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The mapping behaviour, or null.
    pub mapping: Option<MappingBehavior>,
    /// The filtering behaviour, or null.
    pub filtering: Option<FilteringBehavior>,
    /// The classic name.
    pub nat_type: NatType,
    /// The mapping socket's local address.
    pub local_address: SocketAddr,
    /// Its public (mapped) address.
    pub mapped_address: Option<SocketAddr>,
    /// Whether the server does RFC 5780 (null when it never answered).
    pub rfc5780_supported: Option<bool>,
    /// Whether there is a NAT (null when unknown).
    pub behind_nat: Option<bool>,
    /// Why the mapping is what it is (or unknown).
    pub mapping_evidence: String,
    /// Why the filtering is what it is (or unknown).
    pub filtering_evidence: String,
    /// Why the type is unknown or UDP blocked, when it is.
    pub reason: Option<String>,
    /// What it means for WebRTC.
    pub webrtc: &'static str,
    /// The server's primary address.
    pub server: SocketAddr,
    /// Its OTHER-ADDRESS, as sent.
    pub other_address: Option<SocketAddr>,
    /// The server's SOFTWARE.
    pub software: Option<String>,
    /// The `--server2` address.
    pub server2: Option<SocketAddr>,
    /// The mapping toward `--server2`.
    pub server2_mapped_address: Option<SocketAddr>,
    /// The first measured round trip (an upper bound if the request was retransmitted).
    pub rtt_ms: Option<f64>,
    /// Whether MAPPED-ADDRESS and XOR-MAPPED-ADDRESS disagreed (an ALG rewriting payloads).
    pub alg_detected: bool,
    /// Whether hairpinning works (null when not tested or undecided).
    pub hairpinning: Option<bool>,
    /// Whether the server was unreachable (ICMP, or it alone stayed silent).
    pub server_unreachable: bool,
    /// Other observations.
    pub notes: Vec<String>,
    /// Every test.
    pub tests: Vec<TestReport>,
    /// How long the discovery took.
    pub done_ms: f64,
    /// The binding lifetime, when measured (`--lifetime`).
    pub binding_lifetime: Option<Lifetime>,
    /// The TCP mapping behaviour, when asked (`--tcp`).
    pub tcp: Option<crate::nat::tcp::TcpMapping>,
}

impl Report {
    pub(super) fn build(d: &NatDiscovery) -> Report {
        let o = |n| &d.test(n).outcome;
        let answer = |n| o(n).answer();
        let first = d.first_answer();
        let mut notes = Vec::new();

        let m1 = answer(TestName::Mapping1).and_then(|a| a.mapped);
        let behind_nat = m1.map(|m| !same_address(m, d.locals.mapping));
        let (mapping, mapping_evidence) = mapping_verdict(d, &mut notes);
        let filtering = filtering_verdict(d);
        let filtering_evidence = match &filtering {
            Ok(f) => filtering_reason(d, *f),
            Err(why) => why.clone(),
        };

        let primary_answered = first.is_some();
        let icmp = FIRST_CONTACT.iter().find_map(|&n| match o(n) {
            Outcome::Unreachable(why) => Some(why.clone()),
            _ => None,
        });
        let error = FIRST_CONTACT.iter().find_map(|&n| match o(n) {
            Outcome::Error { code, reason, .. } => Some(format!("{code} {reason}")),
            _ => None,
        });
        let server2_answered = answer(TestName::Server2).is_some();
        let mut server_unreachable = false;
        let (nat_type, reason) = if primary_answered {
            match classify(&mapping, filtering.as_ref().map(|f| *f).map_err(String::as_str)) {
                Ok(t) => (t, None),
                Err(why) => (NatType::Unknown, Some(why)),
            }
        } else if let Some(why) = icmp {
            server_unreachable = true;
            (NatType::Unknown, Some(format!("the server {} is unreachable: {why}", d.config.server)))
        } else if let Some(err) = error {
            (
                NatType::Unknown,
                Some(format!("the server {} answered Binding with error {err}", d.config.server)),
            )
        } else if let Some(stray) = FIRST_CONTACT.iter().find_map(|&n| match o(n) {
            Outcome::TimedOut { strays, .. } => strays.first().cloned(),
            _ => None,
        }) {
            (NatType::Unknown, Some(format!("answers arrived but none could be used: one {stray}")))
        } else if let Some(u) = &d.unrelated {
            // Not UDP blocked: something came back from the server, just not an answer.
            (NatType::Unknown, Some(format!("no usable answer from {}: {u}", d.config.server)))
        } else if server2_answered {
            server_unreachable = true;
            (
                NatType::Unknown,
                Some(format!(
                    "the server {} never answered, but the second server did: the first one is down or filtered",
                    d.config.server
                )),
            )
        } else {
            let sent: u32 = FIRST_CONTACT
                .iter()
                .filter_map(|&n| match o(n) {
                    Outcome::TimedOut { timed_out, .. } => Some(timed_out.transmissions),
                    _ => None,
                })
                .sum();
            let waited = FIRST_CONTACT
                .iter()
                .filter_map(|&n| match o(n) {
                    Outcome::TimedOut { timed_out, .. } => Some(timed_out.waited),
                    _ => None,
                })
                .max()
                .unwrap_or_default();
            (
                NatType::UdpBlocked,
                Some(format!(
                    "no answer from {} to {sent} requests from 3 sockets over {} ms: UDP is blocked here, \
                     or the server is down (a second server, --server2, tells them apart)",
                    d.config.server,
                    waited.as_millis()
                )),
            )
        };

        let rfc5780_supported = first.map(|a| {
            let ignored = [TestName::Filtering2, TestName::Filtering3]
                .iter()
                .any(|&n| matches!(o(n), Outcome::WrongSource { .. } | Outcome::Error { .. }));
            a.other_address.is_some() && d.other_address().is_ok() && !ignored
        });
        if let Some(a) = first {
            if a.other_address.is_none() && a.changed_address.is_some() {
                notes.push(format!(
                    "the server is an RFC 3489 server: CHANGED-ADDRESS {} stands in for OTHER-ADDRESS",
                    a.changed_address.map_or_else(String::new, |c| c.to_string())
                ));
            }
        }

        let mut alg_detected = false;
        for t in &d.tests {
            if let Outcome::Answered(a) = &t.outcome {
                if let (Some(x), Some(m)) = (a.xor_mapped_address, a.mapped_address) {
                    if !same_address(x, m) {
                        alg_detected = true;
                        notes.push(format!(
                            "{}: MAPPED-ADDRESS {m} differs from XOR-MAPPED-ADDRESS {x}: something on the path \
                             (an ALG) rewrites addresses inside STUN; XOR-MAPPED-ADDRESS is used",
                            t.name
                        ));
                    }
                }
                if let Some(origin) = a.response_origin {
                    if !same_address(origin, a.from) {
                        notes.push(format!(
                            "{}: RESPONSE-ORIGIN {origin} but the answer came from {}: the server is behind a \
                             NAT, or something rewrote the source",
                            t.name, a.from
                        ));
                    }
                }
                if a.xor_mapped_address.is_none() && a.mapped_address.is_some() {
                    notes.push(format!("{}: only MAPPED-ADDRESS (an RFC 3489 server?)", t.name));
                }
            }
        }

        let hairpinning = match o(TestName::Hairpin) {
            Outcome::Received { .. } => Some(true),
            Outcome::TimedOut { .. } => Some(false),
            _ => None,
        };

        let tests = d
            .tests
            .iter()
            .filter(|t| {
                !(matches!(t.outcome, Outcome::NotRun(_)) && t.started.is_none() && !wanted(d, t.name))
            })
            .map(|t| test_report(d, t))
            .collect();

        let done = d.finished.unwrap_or(d.started) - d.started;
        Report {
            mapping: mapping.behavior(),
            filtering: filtering.ok(),
            nat_type,
            local_address: d.locals.mapping,
            mapped_address: m1,
            rfc5780_supported,
            behind_nat,
            mapping_evidence,
            filtering_evidence,
            reason,
            webrtc: nat_type.webrtc(),
            server: d.config.server,
            other_address: first.and_then(|a| a.other_address.or(a.changed_address)),
            software: first.and_then(|a| a.software.clone()),
            server2: d.config.server2,
            server2_mapped_address: answer(TestName::Server2).and_then(|a| a.mapped),
            rtt_ms: d.first_rtt.map(ms),
            alg_detected,
            hairpinning,
            server_unreachable,
            notes,
            tests,
            done_ms: ms(done),
            binding_lifetime: None,
            tcp: None,
        }
    }
}

/// Tests worth listing even when they did not run (they explain a gap in the verdict).
fn wanted(d: &NatDiscovery, name: TestName) -> bool {
    match name {
        TestName::Server2 => d.config.server2.is_some(),
        TestName::Hairpin => d.config.hairpin,
        _ => true,
    }
}

pub(super) fn test_report(d: &NatDiscovery, t: &Test) -> TestReport {
    let (from, answer, transmissions, rtt, error) = match &t.outcome {
        Outcome::Answered(a) => (Some(a.from), Some(a.as_ref().clone()), Some(a.transmissions), a.rtt, None),
        Outcome::Error { from, code, reason } => {
            (Some(*from), None, None, None, Some(ErrorReport { code: *code, reason: reason.clone() }))
        }
        Outcome::WrongSource { from, .. } | Outcome::Received { from } => {
            (Some(*from), None, None, None, None)
        }
        Outcome::TimedOut { timed_out, .. } => (None, None, Some(timed_out.transmissions), None, None),
        _ => (None, None, None, None, None),
    };
    let transmissions = transmissions.or_else(|| {
        t.id.and_then(|id| d.clients[t.name.socket().index()].get(&id)).map(|tx| tx.transmissions())
    });
    TestReport {
        name: t.name,
        description: t.name.describe(),
        socket: t.name.socket(),
        local_address: d.locals.get(t.name.socket()),
        destination: t.destination,
        change_request: t.change.map(|c| match c {
            (true, true) => "ip+port",
            (true, false) => "ip",
            (false, true) => "port",
            (false, false) => "none",
        }),
        expected_from: t.expect_from,
        outcome: t.outcome.kind(),
        from,
        mapped_address: answer.as_ref().and_then(|a| a.mapped),
        answer,
        transmissions,
        elapsed_ms: t.started.zip(t.ended).map(|(s, e)| ms(e - s)),
        rtt_ms: rtt.map(ms),
        error,
        detail: t.describe_outcome(),
    }
}

fn mapping_verdict(d: &NatDiscovery, notes: &mut Vec<String>) -> (MappingVerdict, String) {
    let o = |n| &d.test(n).outcome;
    let mapped = |n| o(n).answer().and_then(|a| a.mapped);
    let describe = |n: TestName| format!("{}: {}", n.describe(), d.test(n).describe_outcome());
    let Some(m1) = mapped(TestName::Mapping1) else {
        let why = match o(TestName::Mapping1) {
            Outcome::Answered(_) => "the answer to mapping test I had no mapped address".to_string(),
            _ => describe(TestName::Mapping1),
        };
        return (MappingVerdict::Unknown(why.clone()), why);
    };
    let local = d.locals.mapping;
    if same_address(m1, local) {
        return (MappingVerdict::NoNat, format!("no NAT: the mapped address {m1} is the local address"));
    }
    let server2 = mapped(TestName::Server2);
    let by_server2 = |why: String| -> (MappingVerdict, String) {
        match server2 {
            Some(m2) if same_address(m1, m2) => (
                MappingVerdict::Known(MappingBehavior::EndpointIndependent),
                format!("{why}; but the second server saw the same mapping {m2} as the first ({m1})"),
            ),
            Some(m2) => (
                MappingVerdict::NotIndependent,
                format!(
                    "{why}; the second server saw {m2}, the first {m1}: the mapping depends on the \
                     destination (two servers cannot tell address- from address-and-port-dependent)"
                ),
            ),
            None => (MappingVerdict::Unknown(why.clone()), why),
        }
    };
    let verdict = match (mapped(TestName::Mapping2), o(TestName::Mapping2)) {
        (Some(m2), _) if same_address(m1, m2) => (
            MappingVerdict::Known(MappingBehavior::EndpointIndependent),
            format!("the same mapping {m1} toward the primary and the alternate address"),
        ),
        (Some(m2), _) => match mapped(TestName::Mapping3) {
            Some(m3) if same_address(m2, m3) => (
                MappingVerdict::Known(MappingBehavior::AddressDependent),
                format!("mapping {m1} toward the primary, {m2} toward the alternate IP whichever the port"),
            ),
            Some(m3) => (
                MappingVerdict::Known(MappingBehavior::AddressAndPortDependent),
                format!("a new mapping for each destination: {m1}, {m2}, {m3}"),
            ),
            None => {
                let why = format!(
                    "mapping {m1} toward the primary but {m2} toward the alternate IP, and {}",
                    describe(TestName::Mapping3)
                );
                // Not endpoint-independent either way: the classic name is settled.
                (MappingVerdict::NotIndependent, why)
            }
        },
        (None, Outcome::NotRun(why)) => by_server2(why.clone()),
        (None, _) => by_server2(describe(TestName::Mapping2)),
    };
    if let (MappingVerdict::Known(MappingBehavior::EndpointIndependent), Some(m2)) = (&verdict.0, server2) {
        if !same_address(m1, m2) && mapped(TestName::Mapping2).is_some() {
            notes.push(format!(
                "the second server saw mapping {m2}, not {m1}: the NAT is endpoint-independent toward one \
                 server but not across servers"
            ));
        }
    }
    verdict
}

fn filtering_verdict(d: &NatDiscovery) -> Result<FilteringBehavior, String> {
    let o = |n| &d.test(n).outcome;
    let ignored = |from: &SocketAddr, expected: &SocketAddr, what: &str| {
        format!(
            "the server ignored CHANGE-REQUEST: the answer to '{what}' came from {from}, not from {expected}"
        )
    };
    let refused = |code: &u16, reason: &str| format!("the server refused CHANGE-REQUEST ({code} {reason})");
    match o(TestName::Filtering2) {
        Outcome::Answered(_) => Ok(FilteringBehavior::EndpointIndependent),
        Outcome::NotRun(why) => Err(why.clone()),
        Outcome::WrongSource { from, expected } => Err(ignored(from, expected, "change IP and port")),
        Outcome::Error { code, reason, .. } => Err(refused(code, reason)),
        Outcome::Pending => Err("filtering test II did not finish".into()),
        Outcome::Unreachable(why) => Err(format!("filtering test II: {why}")),
        Outcome::Received { .. } => Err("filtering test II: unexpected".into()),
        Outcome::TimedOut { .. } => {
            // Silence means "filtered" only if the server can send from its alternate address.
            if o(TestName::Mapping3).answer().is_none() {
                return Err(format!(
                    "no answer to CHANGE-REQUEST, but the server's alternate address never answered mapping \
                     test III either, so the silence proves nothing ({})",
                    d.test(TestName::Mapping3).describe_outcome()
                ));
            }
            match o(TestName::Filtering3) {
                Outcome::Answered(_) => Ok(FilteringBehavior::AddressDependent),
                Outcome::WrongSource { from, expected } => Err(ignored(from, expected, "change port")),
                Outcome::Error { code, reason, .. } => Err(refused(code, reason)),
                Outcome::TimedOut { .. } => {
                    if o(TestName::Filtering1).answer().is_some() {
                        Ok(FilteringBehavior::AddressAndPortDependent)
                    } else {
                        Err("the filtering socket got no answer even without CHANGE-REQUEST".into())
                    }
                }
                other => Err(format!("filtering test III: {}", other.kind())),
            }
        }
    }
}

fn filtering_reason(d: &NatDiscovery, f: FilteringBehavior) -> String {
    let t2 = d.test(TestName::Filtering2);
    let t3 = d.test(TestName::Filtering3);
    let from = |t: &Test| t.expect_from.map_or_else(|| "?".into(), |a| a.to_string());
    match f {
        FilteringBehavior::EndpointIndependent => {
            format!("the answer from the other IP and port ({}) got in", from(t2))
        }
        FilteringBehavior::AddressDependent => format!(
            "the answer from the other IP ({}) was filtered, the one from the same IP, other port ({}) got in",
            from(t2),
            from(t3)
        ),
        FilteringBehavior::AddressAndPortDependent => {
            let waited = match &t3.outcome {
                Outcome::TimedOut { timed_out, .. } => format!(" in {} ms", timed_out.waited.as_millis()),
                _ => String::new(),
            };
            format!(
                "only answers from the address we sent to got in: nothing from the other IP and port ({}) \
                 or the other port ({}){waited}",
                from(t2),
                from(t3)
            )
        }
    }
}
