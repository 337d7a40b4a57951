package fakeazure

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"strconv"
	"time"
)

// rawSpaceHeader marks a request whose request line held raw spaces. armauthorization sends $filter unencoded, and
// Go's net/http answers such a request with a bare "400 Bad Request" before any handler runs; the fake percent-encodes
// the spaces on the way in and marks the request, so that its handler can answer a 400 that says what to do.
const rawSpaceHeader = "X-Fakeazure-Raw-Space"

// rawSpaceListener hands out connections that mend request lines with raw spaces. It sits above TLS, on the plain
// HTTP/1.1 stream.
type rawSpaceListener struct{ net.Listener }

func (l rawSpaceListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &rawSpaceConn{Conn: c}, nil
}

const (
	stLine = iota
	stHeaders
	stBody
	stPass // a chunked body or something unparsable: the rest of the connection is passed through untouched
)

// rawSpaceConn follows HTTP/1.1 request framing (request line, headers, Content-Length body) just enough to know
// where each request line starts.
type rawSpaceConn struct {
	net.Conn
	in, out  []byte
	buf      []byte
	state    int
	bodyLeft int64
	chunked  bool
	flagged  bool
}

func (c *rawSpaceConn) Read(p []byte) (int, error) {
	for len(c.out) == 0 {
		if c.buf == nil {
			c.buf = make([]byte, 32<<10)
		}
		n, err := c.Conn.Read(c.buf)
		c.in = append(c.in, c.buf[:n]...)
		c.process()
		if err != nil {
			if len(c.out) == 0 && len(c.in) > 0 {
				c.out, c.in = append(c.out, c.in...), c.in[:0]
			}
			if len(c.out) == 0 {
				return 0, err
			}
		}
	}
	n := copy(p, c.out)
	c.out = c.out[n:]
	if len(c.out) == 0 {
		c.out = c.out[:0:0]
	}
	return n, nil
}

func (c *rawSpaceConn) process() {
	for {
		switch c.state {
		case stPass:
			c.out, c.in = append(c.out, c.in...), c.in[:0]
			return
		case stBody:
			if c.bodyLeft == 0 {
				c.state = stLine
				continue
			}
			n := min(int64(len(c.in)), c.bodyLeft)
			if n == 0 {
				return
			}
			c.out, c.in, c.bodyLeft = append(c.out, c.in[:n]...), c.in[n:], c.bodyLeft-n
		default:
			i := bytes.IndexByte(c.in, '\n')
			if i < 0 {
				if len(c.in) > 64<<10 {
					c.state = stPass
					continue
				}
				return
			}
			line := c.in[:i+1]
			c.in = c.in[i+1:]
			blank := len(bytes.TrimRight(line, "\r\n")) == 0
			switch {
			case c.state == stLine && blank: // stray CRLF between requests
			case c.state == stLine:
				line = c.mendRequestLine(line)
				c.state, c.bodyLeft, c.chunked = stHeaders, 0, false
			case blank:
				if c.flagged {
					c.out = append(c.out, rawSpaceHeader+": 1\r\n"...)
					c.flagged = false
				}
				switch {
				case c.chunked:
					c.state = stPass
				case c.bodyLeft > 0:
					c.state = stBody
				default:
					c.state = stLine
				}
			default:
				name, value, _ := bytes.Cut(line, []byte(":"))
				value = bytes.TrimSpace(value)
				switch {
				case bytes.EqualFold(bytes.TrimSpace(name), []byte("Content-Length")):
					if n, err := strconv.ParseInt(string(value), 10, 64); err == nil && n >= 0 {
						c.bodyLeft = n
					}
				case bytes.EqualFold(bytes.TrimSpace(name), []byte("Transfer-Encoding")):
					c.chunked = true
				}
			}
			c.out = append(c.out, line...)
		}
	}
}

// mendRequestLine percent-encodes spaces inside the request target of "METHOD target HTTP/1.x".
func (c *rawSpaceConn) mendRequestLine(line []byte) []byte {
	end := len(bytes.TrimRight(line, "\r\n"))
	first := bytes.IndexByte(line[:end], ' ')
	last := bytes.LastIndex(line[:end], []byte(" HTTP/"))
	if first < 0 || last <= first || bytes.IndexByte(line[first+1:last], ' ') < 0 {
		return line
	}
	c.flagged = true
	var b []byte
	b = append(b, line[:first+1]...)
	b = append(b, bytes.ReplaceAll(line[first+1:last], []byte(" "), []byte("%20"))...)
	return append(b, line[last:]...)
}

// unwrapConn returns the TCP connection under the fake's wrappers, for resetting it.
func unwrapConn(c net.Conn) net.Conn {
	if rc, ok := c.(*rawSpaceConn); ok {
		c = rc.Conn
	}
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	return c
}

// selfSignedCert makes the server's certificate for 127.0.0.1, ::1 and localhost.
func selfSignedCert() (tls.Certificate, *x509.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "miscope fake Azure", Organization: []string{"miscope"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(30 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, leaf, nil
}
