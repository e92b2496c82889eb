package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"time"
)

func init() {
	register("udp-listen", "ADDR:PORT [N]", "answer N UDP datagrams (default 1) with the hostname", udpListen)
	register("udp-ask", "ADDR:PORT MESSAGE", "send a UDP datagram and print the answer", udpAsk)
}

// udpListen prints what each datagram says and who sent it, and answers.
func udpListen(args []string) error {
	n, err := count(args)
	if err != nil {
		return err
	}
	pc, err := net.ListenPacket("udp", args[0])
	if err != nil {
		return err
	}
	defer pc.Close()
	fmt.Printf("udp-listen: listening on %s\n", pc.LocalAddr())
	host, _ := os.Hostname()
	buf := make([]byte, 2048)
	for i := 0; i < n; i++ {
		m, from, err := pc.ReadFrom(buf)
		if err != nil {
			return err
		}
		fmt.Printf("udp-listen: %s says %s\n", from, buf[:m])
		if _, err := pc.WriteTo([]byte("hello from "+host), from); err != nil {
			return err
		}
	}
	return nil
}

// udpAsk sends the message up to three times, a second apart, until an
// answer comes: UDP gives no other sign of a listener.
func udpAsk(args []string) error {
	if err := need(args, 2); err != nil {
		return err
	}
	c, err := net.Dial("udp", args[0])
	if err != nil {
		return err
	}
	defer c.Close()
	buf := make([]byte, 2048)
	for try := 0; try < 3; try++ {
		if _, err := c.Write([]byte(args[1])); err != nil {
			return err
		}
		c.SetReadDeadline(time.Now().Add(time.Second))
		n, err := c.Read(buf)
		var timeout net.Error
		if errors.As(err, &timeout) && timeout.Timeout() {
			continue
		}
		if err != nil {
			return err
		}
		fmt.Printf("udp-ask: %s\n", buf[:n])
		return nil
	}
	return errors.New("no answer in 3 s")
}
