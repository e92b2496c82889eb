// Package netlink speaks rtnetlink, the kernel's interface for network
// configuration, over a plain AF_NETLINK socket — what ip(8) does. It
// creates veth pairs (the peer directly in another namespace) and
// bridges, sets links up and down and into bridges, adds addresses,
// routes and routing rules, and looks links up by name.
//
// Every request is one message: a struct nlmsghdr, a fixed header for the
// family (struct ifinfomsg, ifaddrmsg, rtmsg, fib_rule_hdr) and a list of
// attributes. The kernel answers with an NLMSG_ERROR message whose error
// is 0 for success. See netlink(7) and rtnetlink(7).
//
// A socket belongs to the network namespace it was created in, for good.
// To configure another namespace, open the socket from a thread that is
// in it (package netns does that).
package netlink

import (
	"fmt"
	"syscall"

	"golang.org/x/sys/unix"
)

// Conn is a NETLINK_ROUTE socket.
type Conn struct {
	fd  int
	seq uint32
}

// Dial opens a NETLINK_ROUTE socket in the caller's network namespace and
// asks for extended acknowledgements, so that a refusal comes with the
// kernel's own explanation.
func Dial() (*Conn, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("netlink: socket: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("netlink: bind: %w", err)
	}
	_ = unix.SetsockoptInt(fd, unix.SOL_NETLINK, unix.NETLINK_EXT_ACK, 1)
	return &Conn{fd: fd}, nil
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

// Message is one netlink message: its type and flags, and the payload
// after the 16-byte header.
type Message struct {
	Type  uint16
	Flags uint16
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
	return c.roundTrip(op, m)
}

// Dump sends a GET request with NLM_F_DUMP and returns every message of
// the answer, up to NLMSG_DONE. (NLM_F_DUMP shares its bits with
// NLM_F_CREATE|NLM_F_EXCL: the meaning of a flag depends on the request.)
func (c *Conn) Dump(op string, m Message) ([]Message, error) {
	m.Flags |= unix.NLM_F_REQUEST | unix.NLM_F_DUMP
	return c.roundTrip(op, m)
}

func (c *Conn) roundTrip(op string, m Message) ([]Message, error) {
	c.seq++
	if err := unix.Sendto(c.fd, m.Encode(c.seq), 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return nil, &Error{Op: op, Errno: errnoOf(err)}
	}
	var answer []Message
	for {
		// A dump can take several reads; each gets its own buffer,
		// because the messages returned point into it.
		buf := make([]byte, 64*1024)
		n, _, err := unix.Recvfrom(c.fd, buf, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, &Error{Op: op, Errno: errnoOf(err)}
		}
		msgs, err := ParseMessages(buf[:n])
		if err != nil {
			return nil, err
		}
		for _, r := range msgs {
			switch r.Type {
			case unix.NLMSG_DONE:
				return answer, nil
			case unix.NLMSG_ERROR:
				if e := ackError(op, r); e != nil {
					return nil, e
				}
				return answer, nil
			default:
				answer = append(answer, r)
			}
		}
	}
}

// ParseMessages splits a buffer read from the socket into messages.
func ParseMessages(b []byte) ([]Message, error) {
	var msgs []Message
	for len(b) >= unix.NLMSG_HDRLEN {
		n := int(native.Uint32(b[0:4]))
		if n < unix.NLMSG_HDRLEN || n > len(b) {
			return nil, fmt.Errorf("netlink: message length %d in %d bytes", n, len(b))
		}
		msgs = append(msgs, Message{
			Type:  native.Uint16(b[4:6]),
			Flags: native.Uint16(b[6:8]),
			Data:  b[unix.NLMSG_HDRLEN:n],
		})
		if align(n) >= len(b) {
			break
		}
		b = b[align(n):]
	}
	return msgs, nil
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
		// With NLM_F_CAPPED the kernel echoes only the request's header.
		skip := 4 + unix.NLMSG_HDRLEN
		if m.Flags&unix.NLM_F_CAPPED == 0 && len(m.Data) >= 4+4 {
			skip = 4 + align(int(native.Uint32(m.Data[4:8])))
		}
		if skip <= len(m.Data) {
			attrs, _ := ParseAttrs(m.Data[skip:])
			for _, a := range attrs {
				if a.Type == unix.NLMSGERR_ATTR_MSG {
					e.Msg = cString(a.Data)
				}
			}
		}
	}
	return e
}

func errnoOf(err error) syscall.Errno {
	if errno, ok := err.(syscall.Errno); ok {
		return errno
	}
	return unix.EIO
}
