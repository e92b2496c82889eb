package netlink

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"
)

// A fake kernel: the Conn's descriptor is one end of a datagram socket
// pair, and the test answers each request from the other end with the
// datagrams it chooses — replies the real kernel sends only in rare races.

const fakePort = 4242

// fakeKernel returns a Conn whose requests reach answer, and whose replies
// are what answer returns, one datagram per element.
func fakeKernel(t *testing.T, answer func(req Message) [][]byte) *Conn {
	t.Helper()
	return fakeBatchKernel(t, func(reqs []Message) [][]byte {
		if len(reqs) != 1 {
			t.Errorf("%d requests in one datagram, want 1", len(reqs))
			return nil
		}
		return answer(reqs[0])
	})
}

// fakeBatchKernel is fakeKernel for datagrams of several requests.
func fakeBatchKernel(t *testing.T, answer func(reqs []Message) [][]byte) *Conn {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	kernel := fds[1]
	done := make(chan struct{})
	// The goroutine must be gone before the descriptor number is free
	// again: shutdown(2) wakes its read, then it exits, then the close.
	t.Cleanup(func() {
		unix.Shutdown(kernel, unix.SHUT_RDWR)
		<-done
		unix.Close(kernel)
	})
	go func() {
		defer close(done)
		buf := make([]byte, 4096)
		for {
			n, err := unix.Read(kernel, buf)
			if err != nil || n == 0 {
				return
			}
			msgs, err := ParseMessages(buf[:n])
			if err != nil {
				return
			}
			for _, d := range answer(msgs) {
				if _, err := unix.Write(kernel, d); err != nil {
					return
				}
			}
		}
	}()
	c := &Conn{fd: fds[0], port: fakePort}
	t.Cleanup(func() { c.Close() })
	return c
}

// msg encodes one reply message with its header's sequence number, port
// id and flags.
func msg(typ, flags uint16, seq, port uint32, data []byte) []byte {
	b := Message{Type: typ, Flags: flags, Data: data}.Encode(seq)
	native.PutUint32(b[12:16], port)
	return b
}

func errnoPayload(errno unix.Errno) []byte {
	b := make([]byte, 4)
	native.PutUint32(b, uint32(-int32(errno)))
	return b
}

func linkPayload(index int, name string) []byte {
	return append(ifinfomsg(index, 0, 0), String(unix.IFLA_IFNAME, name).Bytes()...)
}

// Replies to another request — an older sequence number, another socket's
// port id — are skipped; the answer is the one that matches.
func TestForeignRepliesAreSkipped(t *testing.T) {
	c := fakeKernel(t, func(req Message) [][]byte {
		return [][]byte{
			msg(unix.RTM_NEWLINK, unix.NLM_F_MULTI, req.Seq-1, fakePort, linkPayload(9, "stale")),
			msg(unix.RTM_NEWLINK, unix.NLM_F_MULTI, req.Seq, fakePort+1, linkPayload(8, "theirs")),
			append(msg(unix.RTM_NEWLINK, unix.NLM_F_MULTI, req.Seq, fakePort, linkPayload(1, "lo")),
				msg(unix.NLMSG_DONE, unix.NLM_F_MULTI, req.Seq, fakePort, errnoPayload(0))...),
		}
	})
	links, err := c.Links()
	if err != nil {
		t.Fatal(err)
	}
	if len(links) != 1 || links[0].Name != "lo" {
		t.Errorf("links = %+v, want only lo", links)
	}
}

// NLMSG_DONE carries the errno of a dump that failed part-way.
func TestDoneCarriesTheDumpsError(t *testing.T) {
	c := fakeKernel(t, func(req Message) [][]byte {
		return [][]byte{append(msg(unix.RTM_NEWLINK, unix.NLM_F_MULTI, req.Seq, fakePort, linkPayload(1, "lo")),
			msg(unix.NLMSG_DONE, unix.NLM_F_MULTI, req.Seq, fakePort, errnoPayload(unix.ENOBUFS))...)}
	})
	if _, err := c.Links(); !errors.Is(err, unix.ENOBUFS) {
		t.Errorf("err = %v, want ENOBUFS", err)
	}
}

// A dump the kernel marks as interrupted is asked for again; one that is
// interrupted every time ends with EAGAIN.
func TestInterruptedDumpIsRetried(t *testing.T) {
	var asked atomic.Int32 // the fake kernel's goroutine counts
	c := fakeKernel(t, func(req Message) [][]byte {
		n := asked.Add(1)
		flags := uint16(unix.NLM_F_MULTI)
		if n < 3 {
			flags |= unix.NLM_F_DUMP_INTR
		}
		return [][]byte{append(msg(unix.RTM_NEWLINK, flags, req.Seq, fakePort, linkPayload(int(n), "lo")),
			msg(unix.NLMSG_DONE, flags, req.Seq, fakePort, errnoPayload(0))...)}
	})
	links, err := c.Links()
	if err != nil || asked.Load() != 3 || len(links) != 1 || links[0].Index != 3 {
		t.Errorf("links %+v, err %v, asked %d times; want the third answer", links, err, asked.Load())
	}

	always := fakeKernel(t, func(req Message) [][]byte {
		return [][]byte{msg(unix.NLMSG_DONE, unix.NLM_F_MULTI|unix.NLM_F_DUMP_INTR, req.Seq, fakePort, errnoPayload(0))}
	})
	if _, err := always.Links(); !errors.Is(err, unix.EAGAIN) {
		t.Errorf("always interrupted: err = %v, want EAGAIN", err)
	}
}

// A datagram longer than the read buffer is an error, not half an answer.
func TestTruncatedReadIsAnError(t *testing.T) {
	c := fakeKernel(t, func(req Message) [][]byte {
		// Two attributes, as one may hold at most 64 KiB.
		half := String(unix.IFLA_IFALIAS, strings.Repeat("x", readSize/2)).Bytes()
		body := append(append(ifinfomsg(1, 0, 0), half...), half...)
		return [][]byte{msg(unix.RTM_NEWLINK, unix.NLM_F_MULTI, req.Seq, fakePort, body)}
	})
	_, err := c.Links()
	if !errors.Is(err, unix.EMSGSIZE) || !strings.Contains(err.Error(), "cut short") {
		t.Errorf("err = %v, want EMSGSIZE", err)
	}
}

// Short or mis-sized attributes are refused, never read past their end.
func TestShortAttributesAreRefused(t *testing.T) {
	for _, a := range []Attr{
		{Type: unix.IFLA_MTU, Data: []byte{1, 2}},
		{Type: unix.IFLA_OPERSTATE},
		{Type: unix.IFLA_MASTER, Data: []byte{1, 2, 3, 4, 5}},
	} {
		if _, err := parseLink(append(ifinfomsg(1, 0, 0), a.Bytes()...)); err == nil {
			t.Errorf("attribute %d of %d bytes accepted", a.Type, len(a.Data))
		}
	}
	if _, err := parseLink(make([]byte, 8)); err == nil {
		t.Error("a short ifinfomsg accepted")
	}
	gw := Attr{Type: unix.RTA_GATEWAY, Data: []byte{10, 0, 0}}
	if _, _, err := parseRoute(append(RouteHeader(0, 0, 0), gw.Bytes()...)); err == nil {
		t.Error("a 3-byte gateway accepted")
	}
	local := Attr{Type: unix.IFA_LOCAL, Data: make([]byte, 16)}
	if _, err := parseAddr(append(ifaddrmsg4(24, 1), local.Bytes()...)); err == nil {
		t.Error("a 16-byte IFA_LOCAL in an IPv4 address accepted")
	}
}

func ifaddrmsg4(bits byte, index int) []byte {
	b := make([]byte, unix.SizeofIfAddrmsg)
	b[0], b[1] = unix.AF_INET, bits
	native.PutUint32(b[4:8], uint32(index))
	return b
}
