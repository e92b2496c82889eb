package netlink

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// Batch sends several requests in one datagram and waits for their
// answers. A request that asks for an acknowledgement (NLM_F_ACK) gets
// one; a request that does not is answered only when the kernel refuses
// it, and then the refusal is for the whole datagram. nfnetlink, the
// netfilter protocol, reads a datagram that begins with
// NFNL_MSG_BATCH_BEGIN and ends with NFNL_MSG_BATCH_END as one
// transaction: every change in it is applied, or none. ops[i] names
// msgs[i] in errors; Batch returns the first refusal.
func (c *Conn) Batch(msgs []Message, ops []string) error {
	if len(ops) != len(msgs) {
		return fmt.Errorf("netlink: %d requests and %d names", len(msgs), len(ops))
	}
	first := c.seq + 1
	pending := map[uint32]bool{}
	var b []byte
	for _, m := range msgs {
		c.seq++
		m.Flags |= unix.NLM_F_REQUEST
		if m.Flags&unix.NLM_F_ACK != 0 {
			pending[c.seq] = true
		}
		enc := m.Encode(c.seq)
		b = append(b, enc...)
		b = append(b, make([]byte, align(len(enc))-len(enc))...)
	}
	if _, err := unix.Write(c.fd, b); err != nil {
		return &Error{Op: ops[0], Errno: errnoOf(err)}
	}
	var refusal error
	for len(pending) > 0 {
		buf, err := c.read(ops[0])
		if err != nil {
			return err
		}
		replies, err := ParseMessages(buf)
		if err != nil {
			return err
		}
		for _, m := range replies {
			if m.Type != unix.NLMSG_ERROR || m.Port != c.port || m.Seq < first || m.Seq > c.seq {
				continue // not an answer to this batch
			}
			err := ackError(ops[m.Seq-first], m)
			if !pending[m.Seq] {
				if err != nil {
					return err // the batch as a whole was refused
				}
				continue
			}
			delete(pending, m.Seq)
			if refusal == nil {
				refusal = err
			}
		}
	}
	return refusal
}
