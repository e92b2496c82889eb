package main

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"time"
)

func init() {
	register("listen", "ADDR:PORT [N]", "accept N TCP connections (default 1), greet each with the hostname", listen)
	register("connect", "ADDR:PORT", "connect over TCP and print the greeting", connect)
}

// listen prints "listening" once the socket is bound, so a test knows
// when to connect, then serves one connection, or N.
func listen(args []string) error {
	n, err := count(args)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", args[0])
	if err != nil {
		return err
	}
	defer ln.Close()
	fmt.Printf("listen: listening on %s\n", ln.Addr())
	host, _ := os.Hostname()
	for i := 0; i < n; i++ {
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		fmt.Fprintf(c, "hello from %s\n", host)
		c.Close()
		fmt.Printf("listen: greeted %s\n", c.RemoteAddr())
	}
	return nil
}

// connect retries for three seconds while the connection is refused —
// the listener may be starting — and gives up at once on anything else.
func connect(args []string) error {
	if err := need(args, 1); err != nil {
		return err
	}
	deadline := time.Now().Add(3 * time.Second)
	c, err := net.DialTimeout("tcp", args[0], 3*time.Second)
	for errors.Is(err, syscall.ECONNREFUSED) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		c, err = net.DialTimeout("tcp", args[0], 3*time.Second)
	}
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(3 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	fmt.Printf("connect: %s", line)
	return nil
}

func init() {
	register("stall", "ADDR:PORT", "accept one TCP connection and never read from it", stall)
}

// stall accepts a connection and reads nothing: the sender's data piles
// up in its socket, which then outlives the sender's process.
func stall(args []string) error {
	if err := need(args, 1); err != nil {
		return err
	}
	c, err := acceptOne("stall", args[0])
	if err != nil {
		return err
	}
	defer c.Close()
	fmt.Printf("stall: holding %s\n", c.RemoteAddr())
	time.Sleep(24 * time.Hour) // until killed
	return nil
}

func init() {
	register("sink", "ADDR:PORT", "accept one connection, read it to the end, print the throughput", sink)
	register("source", "ADDR:PORT SECONDS", "connect and send as fast as possible for SECONDS", source)
}

// sink measures what arrives: bytes from the first to the last read.
func sink(args []string) error {
	if err := need(args, 1); err != nil {
		return err
	}
	c, err := acceptOne("sink", args[0])
	if err != nil {
		return err
	}
	defer c.Close()
	buf := make([]byte, 256*1024)
	var total int64
	start := time.Now()
	for {
		n, err := c.Read(buf)
		total += int64(n)
		if err != nil {
			break
		}
	}
	secs := time.Since(start).Seconds()
	fmt.Printf("sink: %d bytes in %.3f s = %.1f MB/s\n", total, secs, float64(total)/secs/1e6)
	return nil
}

// source writes zeros for the given time.
func source(args []string) error {
	if err := need(args, 2); err != nil {
		return err
	}
	secs, err := time.ParseDuration(args[1] + "s")
	if err != nil {
		return err
	}
	deadline := time.Now().Add(3 * time.Second)
	c, err := net.Dial("tcp", args[0])
	for errors.Is(err, syscall.ECONNREFUSED) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		c, err = net.Dial("tcp", args[0])
	}
	if err != nil {
		return err
	}
	defer c.Close()
	buf := make([]byte, 256*1024)
	end := time.Now().Add(secs)
	var total int64
	for time.Now().Before(end) {
		n, err := c.Write(buf)
		total += int64(n)
		if err != nil {
			return err
		}
	}
	fmt.Printf("source: sent %d bytes\n", total)
	return nil
}

// acceptOne listens on addr, says so in the probe's name, and accepts
// one connection.
func acceptOne(probe, addr string) (net.Conn, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	defer ln.Close()
	fmt.Printf("%s: listening on %s\n", probe, ln.Addr())
	return ln.Accept()
}
