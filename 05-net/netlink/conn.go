// Package netlink speaks rtnetlink, the kernel's interface for network
// configuration, over a plain AF_NETLINK socket — what ip(8) does. It
// creates veth pairs (the peer directly in another namespace) and
// bridges, sets links up and down and into bridges, adds addresses, and
// lists links, addresses and routes. The same framing carries the other
// netlink protocols: chapter 06's package nft speaks nftables over a
// Conn from Open, in batches.
//
// Every request is one message: a struct nlmsghdr, a fixed header for the
// family (struct ifinfomsg, ifaddrmsg, rtmsg) and a list of attributes.
// The kernel answers with an NLMSG_ERROR message whose error is 0 for
// success. See netlink(7) and rtnetlink(7).
//
// Nothing the kernel sends is trusted blindly: every header and attribute
// is length-checked before it is read, a reply that does not carry this
// request's sequence number and this socket's port id is skipped, a dump
// that the kernel marks as interrupted is asked for again, and a message
// cut short by a small buffer is an error, not a silent half answer.
//
// A socket belongs to the network namespace it was created in, for good.
// To configure another namespace, open the socket from a thread that is
// in it (package netns does that).
package netlink

import (
	"errors"
	"fmt"
	"syscall"

	"golang.org/x/sys/unix"
)

// Conn is a netlink socket: NETLINK_ROUTE from Dial, the protocol it was
// opened with from Open.
type Conn struct {
	fd   int
	seq  uint32
	port uint32 // this socket's port id, which the kernel chose at bind
}

// Dial opens a NETLINK_ROUTE socket in the caller's network namespace.
func Dial() (*Conn, error) { return Open(unix.NETLINK_ROUTE) }

// Open opens a netlink socket of the given protocol — NETLINK_ROUTE for
// links and addresses, NETLINK_NETFILTER for nftables — and asks for
// extended acknowledgements, so that a refusal comes with the kernel's own
// explanation. The framing, acknowledgements and dumps are the same for
// every protocol; only the messages differ.
func Open(protocol int) (*Conn, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, protocol)
	if err != nil {
		return nil, fmt.Errorf("netlink: socket: %w", err)
	}
	c := &Conn{fd: fd}
	if err := c.bind(); err != nil {
		unix.Close(fd)
		return nil, err
	}
	_ = unix.SetsockoptInt(fd, unix.SOL_NETLINK, unix.NETLINK_EXT_ACK, 1)
	return c, nil
}

// bind binds to port id 0, which asks the kernel to pick one, and reads
// back the one it picked: replies to this socket carry it.
func (c *Conn) bind() error {
	if err := unix.Bind(c.fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return fmt.Errorf("netlink: bind: %w", err)
	}
	sa, err := unix.Getsockname(c.fd)
	if err != nil {
		return fmt.Errorf("netlink: getsockname: %w", err)
	}
	nl, ok := sa.(*unix.SockaddrNetlink)
	if !ok {
		return fmt.Errorf("netlink: getsockname: not a netlink address")
	}
	c.port = nl.Pid
	return nil
}

// Close closes the socket.
func (c *Conn) Close() error { return unix.Close(c.fd) }

// Error is the kernel's refusal of a request: the operation, the errno,
// and the extended-ack message when the kernel gave one.
type Error struct {
	Op    string
	Errno syscall.Errno
	Msg   string
}

func (e *Error) Error() string {
	if e.Msg != "" {
		return fmt.Sprintf("%s: %v (kernel: %s)", e.Op, e.Errno, e.Msg)
	}
	return fmt.Sprintf("%s: %v", e.Op, e.Errno)
}

// Unwrap lets errors.Is(err, unix.EEXIST) see the errno.
func (e *Error) Unwrap() error { return e.Errno }

// Message is one netlink message: its type and flags, the sequence number
// and port id of its header, and the payload after the 16-byte header.
type Message struct {
	Type  uint16
	Flags uint16
	Seq   uint32
	Port  uint32
	Data  []byte
}

// Encode prepends struct nlmsghdr (length, type, flags, sequence number,
// port id 0 = "the kernel") to the payload.
func (m Message) Encode(seq uint32) []byte {
	b := make([]byte, unix.NLMSG_HDRLEN+len(m.Data))
	native.PutUint32(b[0:4], uint32(len(b)))
	native.PutUint16(b[4:6], m.Type)
	native.PutUint16(b[6:8], m.Flags)
	native.PutUint32(b[8:12], seq)
	copy(b[unix.NLMSG_HDRLEN:], m.Data)
	return b
}

// Do sends a request that changes something, asking for an
// acknowledgement, and returns once it arrives (with any messages sent
// before it). op names the request in errors.
func (c *Conn) Do(op string, m Message) ([]Message, error) {
	m.Flags |= unix.NLM_F_REQUEST | unix.NLM_F_ACK
	answer, _, err := c.exchange(op, m)
	return answer, err
}

// dumpAttempts bounds how often an interrupted dump is asked for again.
const dumpAttempts = 10

// Dump sends a GET request with NLM_F_DUMP and returns every message of
// the answer, up to NLMSG_DONE. (NLM_F_DUMP shares its bits with
// NLM_F_CREATE|NLM_F_EXCL: the meaning of a flag depends on the request.)
//
// A dump is built in pieces, one read at a time; if the table changes
// between two pieces, the kernel sets NLM_F_DUMP_INTR on the messages that
// follow, and the answer may hold an entry twice or miss one. Then the
// whole dump is asked for again.
func (c *Conn) Dump(op string, m Message) ([]Message, error) {
	m.Flags |= unix.NLM_F_REQUEST | unix.NLM_F_DUMP
	for attempt := 1; ; attempt++ {
		answer, interrupted, err := c.exchange(op, m)
		if err != nil || !interrupted {
			return answer, err
		}
		if attempt == dumpAttempts {
			return nil, &Error{Op: op, Errno: unix.EAGAIN, Msg: fmt.Sprintf("the table kept changing during %d dumps", dumpAttempts)}
		}
	}
}

// exchange sends one request and reads until its answer is complete.
func (c *Conn) exchange(op string, m Message) (answer []Message, interrupted bool, err error) {
	c.seq++
	// write(2) without an address sends to port id 0: the kernel.
	if _, err := unix.Write(c.fd, m.Encode(c.seq)); err != nil {
		return nil, false, &Error{Op: op, Errno: errnoOf(err)}
	}
	r := reply{op: op, seq: c.seq, port: c.port}
	for !r.done {
		buf, err := c.read(op)
		if err != nil {
			return nil, false, err
		}
		if err := r.add(buf); err != nil {
			return nil, false, err
		}
	}
	return r.answer, r.interrupted, r.err
}

// readSize is the buffer for one read: the kernel fills a dump's pieces up
// to 32 KiB (and at least a page), and never splits a message.
const readSize = 64 * 1024

// read receives one datagram. MSG_TRUNC in the returned flags means the
// datagram was longer than the buffer and its end was thrown away.
func (c *Conn) read(op string) ([]byte, error) {
	for {
		// Each read gets its own buffer: the messages returned point
		// into it.
		buf := make([]byte, readSize)
		n, _, flags, _, err := unix.Recvmsg(c.fd, buf, nil, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, &Error{Op: op, Errno: errnoOf(err)}
		}
		if flags&unix.MSG_TRUNC != 0 {
			return nil, &Error{Op: op, Errno: unix.EMSGSIZE, Msg: fmt.Sprintf("a reply was longer than %d bytes and was cut short", readSize)}
		}
		return buf[:n], nil
	}
}

// reply gathers the answer to one request from the datagrams that arrive.
type reply struct {
	op          string
	seq, port   uint32
	answer      []Message
	interrupted bool  // NLM_F_DUMP_INTR was set on a message
	done        bool  // the answer is complete
	err         error // the kernel's refusal, once done
}

// add takes one datagram. The kernel stamps each reply with the request's
// sequence number and the requesting socket's port id; a message with
// others — a late reply to an earlier request, a notification — is not
// part of this answer and is skipped.
func (r *reply) add(buf []byte) error {
	msgs, err := ParseMessages(buf)
	if err != nil {
		return err
	}
	for _, m := range msgs {
		if r.done {
			return nil
		}
		if m.Seq != r.seq || m.Port != r.port {
			continue
		}
		if m.Flags&unix.NLM_F_DUMP_INTR != 0 {
			r.interrupted = true
		}
		switch m.Type {
		case unix.NLMSG_NOOP:
		case unix.NLMSG_DONE:
			r.done, r.err = true, doneError(r.op, m)
		case unix.NLMSG_ERROR:
			r.done, r.err = true, ackError(r.op, m)
		default:
			r.answer = append(r.answer, m)
		}
	}
	return nil
}

// ParseMessages splits a buffer read from the socket into messages.
func ParseMessages(b []byte) ([]Message, error) {
	var msgs []Message
	for len(b) > 0 {
		if len(b) < unix.NLMSG_HDRLEN {
			return nil, fmt.Errorf("netlink: %d bytes left after the last message, less than a header", len(b))
		}
		n := int(native.Uint32(b[0:4]))
		if n < unix.NLMSG_HDRLEN || n > len(b) {
			return nil, fmt.Errorf("netlink: message length %d in %d bytes", n, len(b))
		}
		msgs = append(msgs, Message{
			Type:  native.Uint16(b[4:6]),
			Flags: native.Uint16(b[6:8]),
			Seq:   native.Uint32(b[8:12]),
			Port:  native.Uint32(b[12:16]),
			Data:  b[unix.NLMSG_HDRLEN:n],
		})
		if align(n) >= len(b) {
			break
		}
		b = b[align(n):]
	}
	return msgs, nil
}

// doneError reads NLMSG_DONE, which ends a dump. Its payload is an int: 0,
// or the negative errno of a dump that failed part-way.
func doneError(op string, m Message) error {
	if len(m.Data) < 4 {
		return nil // old kernels sent an empty NLMSG_DONE
	}
	if errno := -int32(native.Uint32(m.Data[0:4])); errno != 0 {
		return &Error{Op: op, Errno: syscall.Errno(errno)}
	}
	return nil
}

// ackError reads an NLMSG_ERROR message: a negative errno (0 = success),
// the request's header, and with NLM_F_ACK_TLVS the extended-ack
// attributes, of which NLMSGERR_ATTR_MSG is a human-readable reason.
func ackError(op string, m Message) error {
	if len(m.Data) < 4 {
		return &Error{Op: op, Errno: unix.EPROTO}
	}
	errno := -int32(native.Uint32(m.Data[0:4]))
	if errno == 0 {
		return nil
	}
	e := &Error{Op: op, Errno: syscall.Errno(errno)}
	if m.Flags&unix.NLM_F_ACK_TLVS != 0 {
		e.Msg = extAckMessage(m)
	}
	return e
}

// extAckMessage finds NLMSGERR_ATTR_MSG after the echoed request. With
// NLM_F_CAPPED the kernel echoes only the request's header; otherwise the
// whole request, whose length its own header gives.
func extAckMessage(m Message) string {
	skip := 4 + unix.NLMSG_HDRLEN
	if m.Flags&unix.NLM_F_CAPPED == 0 && len(m.Data) >= 4+4 {
		skip = 4 + align(int(native.Uint32(m.Data[4:8])))
	}
	if skip < 0 || skip > len(m.Data) {
		return ""
	}
	attrs, err := ParseAttrs(m.Data[skip:])
	if err != nil {
		return ""
	}
	for _, a := range attrs {
		if a.Type == unix.NLMSGERR_ATTR_MSG {
			return cString(a.Data)
		}
	}
	return ""
}

func errnoOf(err error) syscall.Errno {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno
	}
	return unix.EIO
}
