// Command fakeazure serves the demo tenant (or a synthetic one) over the real Entra ID, Microsoft Graph and Azure
// Resource Manager wire protocols on 127.0.0.1, and prints the environment that points miscope at it, so the live
// path can be tried by hand without an Azure account:
//
//	go run ./data/fakeazure/cmd/fakeazure            # then, in another shell, paste the export lines
//	miscope --auth environment
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/miscope/miscope/data"
	"github.com/miscope/miscope/data/demo"
	"github.com/miscope/miscope/data/fakeazure"
)

func main() {
	var (
		synthetic  = flag.Int("synthetic", 0, "serve a synthetic tenant of this many identities instead of the demo tenant")
		seed       = flag.Int64("seed", 1, "seed of the synthetic tenant and of the injected faults")
		latency    = flag.Duration("latency", 0, "latency added to every response, e.g. 25ms")
		throttle   = flag.Float64("throttle", 0, "fraction of Graph and ARM requests answered 429, e.g. 0.3")
		retryAfter = flag.String("retry-after", "1", "Retry-After value sent with 429s (empty: none)")
		fail       = flag.Float64("fail", 0, "fraction of Graph and ARM requests answered 500 or with a reset connection")
	)
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: fakeazure [flags]\n\nServes a tenant as a fake Azure on 127.0.0.1 and prints the environment for miscope.\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()

	var t *data.Tenant
	if *synthetic > 0 {
		t = demo.Synthetic(*synthetic, *seed)
	} else {
		var err error
		if t, err = demo.Tenant(); err != nil {
			fmt.Fprintln(os.Stderr, "fakeazure: cannot load the demo tenant:", err)
			os.Exit(1)
		}
	}
	srv := fakeazure.New(t, fakeazure.Options{
		Latency: *latency, ThrottleRate: *throttle, RetryAfter: *retryAfter, FailRate: *fail, Seed: *seed,
	})
	defer srv.Close()
	if _, err := srv.WriteCertFile(); err != nil {
		fmt.Fprintln(os.Stderr, "fakeazure: cannot write the certificate file:", err)
		os.Exit(1)
	}

	fmt.Printf("# fake Azure for tenant %s (%d managed identities) at %s\n", srv.TenantID(), len(t.Identities), srv.URL())
	fmt.Println("# paste these lines into another shell, then run: miscope --auth environment")
	for _, kv := range srv.Env() {
		k, v, _ := strings.Cut(kv, "=")
		fmt.Printf("export %s='%s'\n", k, v)
	}
	fmt.Println("# Ctrl-C stops the server; request counts are printed on exit.")

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	<-stop
	c := srv.Requests()
	fmt.Fprintf(os.Stderr, "\n%s: %d requests (%d throttled, %d failed, %d refused writes)\n",
		time.Now().Format(time.TimeOnly), c.Total, c.Throttled, c.Failed, c.Writes)
}
