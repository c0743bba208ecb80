// Command rrproxy is the load balancer of the scale-out compatibility run:
// it sends each request to the next live backend in turn (round robin), so
// consecutive requests of one client land on different replicas. A backend
// that refuses connections is skipped until it answers again.
//
//	rrproxy -listen 127.0.0.1:PORT http://127.0.0.1:A http://127.0.0.1:B
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"sync/atomic"
	"time"
)

type backend struct {
	url   *url.URL
	proxy *httputil.ReverseProxy
	down  atomic.Bool
}

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	flag.Parse()
	var backends []*backend
	for _, a := range flag.Args() {
		u, err := url.Parse(a)
		if err != nil {
			log.Fatalf("rrproxy: backend %q: %v", a, err)
		}
		b := &backend{url: u, proxy: httputil.NewSingleHostReverseProxy(u)}
		b.proxy.FlushInterval = -1 // stream (NDJSON progress, packs)
		b.proxy.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
			var op *net.OpError
			if errors.As(err, &op) && op.Op == "dial" {
				b.down.Store(true)
			}
			log.Printf("rrproxy: %s %s via %s: %v", r.Method, r.URL.Path, u.Host, err)
			w.WriteHeader(http.StatusBadGateway)
		}
		backends = append(backends, b)
	}
	if len(backends) == 0 {
		log.Fatal("rrproxy: no backends")
	}
	// Health checks bring killed backends back when they answer again.
	go func() {
		c := &http.Client{Timeout: 2 * time.Second}
		for range time.Tick(200 * time.Millisecond) {
			for _, b := range backends {
				resp, err := c.Get(b.url.String() + "/healthz")
				if err == nil {
					resp.Body.Close()
					b.down.Store(false)
				} else {
					b.down.Store(true)
				}
			}
		}
	}()
	var next atomic.Uint64
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for range backends {
			b := backends[next.Add(1)%uint64(len(backends))]
			if !b.down.Load() {
				b.proxy.ServeHTTP(w, r)
				return
			}
		}
		http.Error(w, "rrproxy: no live backend", http.StatusServiceUnavailable)
	})
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Fprintf(os.Stdout, "rrproxy: listening http://%s\n", ln.Addr())
	srv := &http.Server{Handler: h, BaseContext: func(net.Listener) context.Context { return context.Background() }}
	log.Fatal(srv.Serve(ln))
}
