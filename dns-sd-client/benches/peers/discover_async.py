"""DNS-SD discovery with dnspython's asyncio resolver, a wave at a time.

    discover_async.py SERVER_IP PORT SERVICE_NAME N RUNS

What a user reaching for concurrency writes: the PTR browse (over TCP, a
PTR set of thousands of instances does not fit in a UDP answer), then every
instance's SRV and TXT at once with one unbounded asyncio.gather, then A
and AAAA of every target at once. No cache, one server. A question that
fails (a lost datagram that outlives the resolver's lifetime) fails the
gather, and so the run: that is what this naive client does, and the
harness counts it as a failed run. The clock runs from the first question
to the last answer.

Prints, for each run, one line per resolved instance
`r PORT ADDRESS INSTANCE-LABEL` and then `ELAPSED_MS RESOLVED`.
"""

import asyncio
import sys
import time

import dns.asyncresolver
import dns.rdatatype


async def discover(resolver, service):
    browse = await resolver.resolve(service, dns.rdatatype.PTR, tcp=True)
    instances = [ptr.target for ptr in browse]
    answers = await asyncio.gather(
        *(resolver.resolve(i, dns.rdatatype.SRV) for i in instances),
        *(resolver.resolve(i, dns.rdatatype.TXT) for i in instances),
    )
    srvs = [(i, srv) for i, answer in zip(instances, answers[: len(instances)]) for srv in answer]
    addresses = await asyncio.gather(
        *(resolver.resolve(srv.target, dns.rdatatype.A) for _, srv in srvs),
        *(
            resolver.resolve(srv.target, dns.rdatatype.AAAA, raise_on_no_answer=False)
            for _, srv in srvs
        ),
    )
    found = []
    for k, (instance, srv) in enumerate(srvs):
        for answer in (addresses[k], addresses[len(srvs) + k]):
            if answer.rrset is not None:
                for a in answer:
                    found.append((srv.port, a.address, instance.labels[0].decode()))
    return found


async def main():
    server, port, service, _n, runs = sys.argv[1:6]
    for _ in range(int(runs)):
        resolver = dns.asyncresolver.Resolver(configure=False)
        resolver.nameservers = [server]
        resolver.port = int(port)
        resolver.cache = None
        start = time.perf_counter()
        try:
            found = await discover(resolver, service)
        except Exception as error:  # the harness counts the run as failed
            elapsed = (time.perf_counter() - start) * 1000
            print(f"error: {type(error).__name__}: {error}", file=sys.stderr)
            print(f"{elapsed:.3f} 0", flush=True)
            continue
        elapsed = (time.perf_counter() - start) * 1000
        for port_, address, label in found:
            print(f"r {port_} {address} {label}")
        print(f"{elapsed:.3f} {len({label for _, _, label in found})}", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
