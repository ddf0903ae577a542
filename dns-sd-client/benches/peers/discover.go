// DNS-SD discovery with Go's standard library, concurrently.
//
//	discover SERVER_IP PORT SERVICE_NAME N RUNS
//
// Go's net package has no PTR browse (LookupAddr is reverse lookup only),
// and its LookupSRV and LookupTXT refuse names that are not host-name
// shaped (net.isDomainName allows letters, digits, '-' and '_'), which
// rules out DNS-SD instance names such as "Instance 7._http._tcp...". So
// this client asks those questions itself, with messages built with
// encoding/binary (no modules to download): the PTR browse over TCP (the
// set of thousands of instances does not fit a UDP answer), then SRV and
// TXT of every instance at once, one goroutine and one UDP socket each,
// 2 s timeout and 3 attempts, as a resolver would. The addresses of the
// targets come from net.Resolver.LookupHost (A and AAAA, Go's own
// resolver, dialling the same server), one goroutine per target.
//
// The clock runs from the first question to the last answer. Prints, for
// each run, one line per address found `r PORT ADDRESS INSTANCE-LABEL`,
// then `ELAPSED_MS RESOLVED`.
package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	typeA   = 1
	typePTR = 12
	typeTXT = 16
	typeSRV = 33
)

// question builds a query with recursion desired: labels are raw bytes.
func question(id uint16, labels []string, qtype uint16) []byte {
	msg := make([]byte, 12, 512)
	binary.BigEndian.PutUint16(msg[0:], id)
	binary.BigEndian.PutUint16(msg[2:], 0x0100)
	binary.BigEndian.PutUint16(msg[4:], 1)
	for _, l := range labels {
		msg = append(msg, byte(len(l)))
		msg = append(msg, l...)
	}
	msg = append(msg, 0)
	msg = binary.BigEndian.AppendUint16(msg, qtype)
	return binary.BigEndian.AppendUint16(msg, 1)
}

// readName reads a possibly compressed name at off: its labels and the
// offset after it.
func readName(msg []byte, off int) ([]string, int, error) {
	var labels []string
	end := -1
	for jumps := 0; jumps < 64; {
		if off >= len(msg) {
			return nil, 0, errors.New("name out of bounds")
		}
		n := int(msg[off])
		switch {
		case n == 0:
			if end < 0 {
				end = off + 1
			}
			return labels, end, nil
		case n&0xc0 == 0xc0:
			if off+1 >= len(msg) {
				return nil, 0, errors.New("pointer out of bounds")
			}
			if end < 0 {
				end = off + 2
			}
			off = int(binary.BigEndian.Uint16(msg[off:]) & 0x3fff)
			jumps++
		default:
			if off+1+n > len(msg) {
				return nil, 0, errors.New("label out of bounds")
			}
			labels = append(labels, string(msg[off+1:off+1+n]))
			off += 1 + n
		}
	}
	return nil, 0, errors.New("too many pointers")
}

type record struct {
	rtype uint16
	data  []byte
	off   int // of data in the message, for names inside it
}

// answers parses the answer section of a reply to query id.
func answers(msg []byte, id uint16) ([]record, error) {
	if len(msg) < 12 || binary.BigEndian.Uint16(msg) != id {
		return nil, errors.New("not our answer")
	}
	flags := binary.BigEndian.Uint16(msg[2:])
	if flags&0x0200 != 0 {
		return nil, errors.New("truncated")
	}
	if rcode := flags & 0xf; rcode != 0 {
		return nil, fmt.Errorf("rcode %d", rcode)
	}
	qd, an := int(binary.BigEndian.Uint16(msg[4:])), int(binary.BigEndian.Uint16(msg[6:]))
	off := 12
	for i := 0; i < qd; i++ {
		_, next, err := readName(msg, off)
		if err != nil {
			return nil, err
		}
		off = next + 4
	}
	var out []record
	for i := 0; i < an; i++ {
		_, next, err := readName(msg, off)
		if err != nil {
			return nil, err
		}
		if next+10 > len(msg) {
			return nil, errors.New("record out of bounds")
		}
		rtype := binary.BigEndian.Uint16(msg[next:])
		rdlen := int(binary.BigEndian.Uint16(msg[next+8:]))
		start := next + 10
		if start+rdlen > len(msg) {
			return nil, errors.New("rdata out of bounds")
		}
		out = append(out, record{rtype, msg[start : start+rdlen], start})
		off = start + rdlen
	}
	return out, nil
}

func exchangeTCP(server string, labels []string, qtype uint16) ([]byte, uint16, error) {
	conn, err := net.DialTimeout("tcp", server, 5*time.Second)
	if err != nil {
		return nil, 0, err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	id := uint16(rand.Uint32())
	q := question(id, labels, qtype)
	frame := binary.BigEndian.AppendUint16(nil, uint16(len(q)))
	if _, err := conn.Write(append(frame, q...)); err != nil {
		return nil, 0, err
	}
	var size [2]byte
	if _, err := io.ReadFull(conn, size[:]); err != nil {
		return nil, 0, err
	}
	reply := make([]byte, binary.BigEndian.Uint16(size[:]))
	_, err = io.ReadFull(conn, reply)
	return reply, id, err
}

func exchangeUDP(server string, labels []string, qtype uint16) ([]byte, uint16, error) {
	conn, err := net.Dial("udp", server)
	if err != nil {
		return nil, 0, err
	}
	defer conn.Close()
	id := uint16(rand.Uint32())
	q := question(id, labels, qtype)
	buf := make([]byte, 65535)
	for attempt := 0; attempt < 3; attempt++ {
		if _, err := conn.Write(q); err != nil {
			return nil, 0, err
		}
		conn.SetReadDeadline(time.Now().Add(2 * time.Second))
		for {
			n, err := conn.Read(buf)
			if err != nil {
				break // timeout: ask again
			}
			if n >= 2 && binary.BigEndian.Uint16(buf) == id {
				return buf[:n], id, nil
			}
		}
	}
	return nil, 0, fmt.Errorf("no answer for %s type %d", strings.Join(labels, "."), qtype)
}

type found struct {
	port   uint16
	target string
	label  string
}

func discover(server string, resolver *net.Resolver, service []string) ([]string, error) {
	msg, id, err := exchangeTCP(server, service, typePTR)
	if err != nil {
		return nil, err
	}
	rrs, err := answers(msg, id)
	if err != nil {
		return nil, err
	}
	var instances [][]string
	for _, rr := range rrs {
		if rr.rtype == typePTR {
			name, _, err := readName(msg, rr.off)
			if err != nil {
				return nil, err
			}
			instances = append(instances, name)
		}
	}

	// Wave 2: SRV and TXT of every instance at once.
	srvs := make([][]found, len(instances))
	errs := make([]error, 2*len(instances))
	var wg sync.WaitGroup
	for k, inst := range instances {
		wg.Add(2)
		go func(k int, inst []string) {
			defer wg.Done()
			msg, id, err := exchangeUDP(server, inst, typeSRV)
			if err == nil {
				var rrs []record
				rrs, err = answers(msg, id)
				for _, rr := range rrs {
					if rr.rtype != typeSRV || len(rr.data) < 7 {
						continue
					}
					target, _, e := readName(msg, rr.off+6)
					if e != nil {
						err = e
						break
					}
					srvs[k] = append(srvs[k], found{
						port:   binary.BigEndian.Uint16(rr.data[4:]),
						target: strings.Join(target, ".") + ".",
						label:  inst[0],
					})
				}
			}
			errs[2*k] = err
		}(k, inst)
		go func(k int, inst []string) {
			defer wg.Done()
			msg, id, err := exchangeUDP(server, inst, typeTXT)
			if err == nil {
				_, err = answers(msg, id)
			}
			errs[2*k+1] = err
		}(k, inst)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}

	// Wave 3: the addresses of every target at once.
	var targets []found
	for _, s := range srvs {
		targets = append(targets, s...)
	}
	addrs := make([][]string, len(targets))
	errs = make([]error, len(targets))
	for k, t := range targets {
		wg.Add(1)
		go func(k int, t found) {
			defer wg.Done()
			addrs[k], errs[k] = resolver.LookupHost(context.Background(), t.target)
		}(k, t)
	}
	wg.Wait()
	var lines []string
	for k, t := range targets {
		if errs[k] != nil {
			return nil, errs[k]
		}
		for _, a := range addrs[k] {
			lines = append(lines, fmt.Sprintf("r %d %s %s", t.port, a, t.label))
		}
	}
	return lines, nil
}

func main() {
	if len(os.Args) != 6 {
		fmt.Fprintln(os.Stderr, "usage: discover SERVER_IP PORT SERVICE_NAME N RUNS")
		os.Exit(2)
	}
	server := net.JoinHostPort(os.Args[1], os.Args[2])
	service := strings.Split(strings.TrimSuffix(os.Args[3], "."), ".")
	runs, err := strconv.Atoi(os.Args[5])
	if err != nil {
		fmt.Fprintln(os.Stderr, "RUNS:", err)
		os.Exit(2)
	}
	for r := 0; r < runs; r++ {
		resolver := &net.Resolver{
			PreferGo: true,
			Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
				var d net.Dialer
				return d.DialContext(ctx, network, server)
			},
		}
		start := time.Now()
		lines, err := discover(server, resolver, service)
		elapsed := float64(time.Since(start).Microseconds()) / 1000
		if err != nil {
			fmt.Fprintln(os.Stderr, "error:", err)
			fmt.Printf("%.3f 0\n", elapsed)
			continue
		}
		for _, l := range lines {
			fmt.Println(l)
		}
		fmt.Printf("%.3f %d\n", elapsed, countLabels(lines))
	}
}

// countLabels counts the distinct instances among the lines.
func countLabels(lines []string) int {
	seen := map[string]bool{}
	for _, l := range lines {
		parts := strings.SplitN(l, " ", 4)
		if len(parts) == 4 {
			seen[parts[3]] = true
		}
	}
	return len(seen)
}
