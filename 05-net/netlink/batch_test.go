package netlink

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// batchOf is a transaction of two requests that ask for acknowledgements,
// framed by two that do not, as nfnetlink's batches are.
func batchOf() []Message {
	return []Message{{Type: 0x10}, {Type: 0xa00, Flags: unix.NLM_F_ACK}, {Type: 0xa06, Flags: unix.NLM_F_ACK}, {Type: 0x11}}
}

var batchOps = []string{"begin", "add table", "add rule", "end"}

// Every acknowledgement is waited for, in whatever datagrams they come;
// the first refusal is returned, and replies to others are skipped.
func TestBatchWaitsForEveryAnswer(t *testing.T) {
	c := fakeBatchKernel(t, func(reqs []Message) [][]byte {
		if len(reqs) != 4 || reqs[0].Seq+3 != reqs[3].Seq {
			t.Errorf("requests %+v, want 4 with consecutive sequence numbers", reqs)
		}
		return [][]byte{
			msg(unix.NLMSG_ERROR, 0, reqs[1].Seq, fakePort+1, errnoPayload(unix.EPERM)), // another socket's
			msg(unix.NLMSG_ERROR, 0, reqs[1].Seq, fakePort, errnoPayload(0)),
			msg(unix.NLMSG_ERROR, 0, reqs[2].Seq, fakePort, errnoPayload(unix.ENOENT)),
		}
	})
	if err := c.Batch(batchOf(), batchOps); !errors.Is(err, unix.ENOENT) || !strings.HasPrefix(err.Error(), "add rule: ") {
		t.Errorf("err = %v, want ENOENT for the rule", err)
	}
	ok := fakeBatchKernel(t, func(reqs []Message) [][]byte {
		return [][]byte{append(msg(unix.NLMSG_ERROR, 0, reqs[2].Seq, fakePort, errnoPayload(0)),
			msg(unix.NLMSG_ERROR, 0, reqs[1].Seq, fakePort, errnoPayload(0))...)}
	})
	if err := ok.Batch(batchOf(), batchOps); err != nil {
		t.Errorf("err = %v, want none", err)
	}
}

// A refusal of a request that asked for no acknowledgement — the batch's
// beginning, refused for want of CAP_NET_ADMIN — is the answer: no
// acknowledgement will follow it.
func TestBatchRefusedAsAWhole(t *testing.T) {
	c := fakeBatchKernel(t, func(reqs []Message) [][]byte {
		return [][]byte{msg(unix.NLMSG_ERROR, 0, reqs[0].Seq, fakePort, errnoPayload(unix.EPERM))}
	})
	if err := c.Batch(batchOf(), batchOps); !errors.Is(err, unix.EPERM) {
		t.Errorf("err = %v, want EPERM", err)
	}
}
