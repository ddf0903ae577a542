"""DNS-SD discovery with dnspython, one question after another.

    discover_seq.py SERVER_IP PORT SERVICE_NAME N RUNS

What a straightforward user writes: a Resolver pointed at one server with
no cache; the PTR browse over TCP (a PTR set of thousands of instances does
not fit in a UDP answer), then for each instance its SRV and TXT, then A
and AAAA for each SRV target, each question waiting for the previous
answer. The clock runs from the first question to the last answer.

Prints, for each run, one line per resolved instance
`r PORT ADDRESS INSTANCE-LABEL` and then `ELAPSED_MS RESOLVED`. N is only
echoed by the harness's check; the client resolves whatever the PTR lists.
"""

import sys
import time

import dns.rdatatype
import dns.resolver


def discover(resolver, service):
    found = []
    browse = resolver.resolve(service, dns.rdatatype.PTR, tcp=True)
    for ptr in browse:
        instance = ptr.target
        srvs = resolver.resolve(instance, dns.rdatatype.SRV)
        resolver.resolve(instance, dns.rdatatype.TXT)
        for srv in srvs:
            addresses = [a.address for a in resolver.resolve(srv.target, dns.rdatatype.A)]
            aaaa = resolver.resolve(srv.target, dns.rdatatype.AAAA, raise_on_no_answer=False)
            if aaaa.rrset is not None:
                addresses += [a.address for a in aaaa]
            for address in addresses:
                found.append((srv.port, address, instance.labels[0].decode()))
    return found


def main():
    server, port, service, _n, runs = sys.argv[1:6]
    for _ in range(int(runs)):
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [server]
        resolver.port = int(port)
        resolver.cache = None
        start = time.perf_counter()
        try:
            found = discover(resolver, service)
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
    main()
