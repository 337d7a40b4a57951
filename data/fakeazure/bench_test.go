package fakeazure

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// BenchmarkNewWorld measures what SetTenant costs for a 10,000-identity tenant: every answer is prepared once.
func BenchmarkNewWorld(b *testing.B) {
	t := testTenant(10000)
	b.ReportAllocs()
	for b.Loop() {
		newWorld(t)
	}
}

// BenchmarkBatch measures one gzip $batch of 20 per-identity GETs (10 identities' groups and app roles) against a
// 10,000-identity tenant, over TLS from 8 clients at once: the request a live collection sends most.
func BenchmarkBatch(b *testing.B) {
	tenant := testTenant(10000)
	srv := New(tenant, Options{})
	defer srv.Close()
	tok, err := credential(&testing.T{}, srv).GetToken(context.Background(),
		policy.TokenRequestOptions{Scopes: []string{"https://graph.microsoft.com/.default"}})
	if err != nil {
		b.Fatal(err)
	}
	bodies := make([][]byte, 100)
	for n := range bodies {
		var items []string
		for i := 0; i < 10; i++ {
			id := tenant.Identities[(n*10+i)%len(tenant.Identities)].ID
			items = append(items,
				fmt.Sprintf(`{"id":"%d","method":"GET","url":"/servicePrincipals/%s/transitiveMemberOf?%%24select=id,displayName,isAssignableToRole&%%24top=999","headers":{"accept":"application/json"},"body":null,"dependsOn":[]}`, 2*i, id),
				fmt.Sprintf(`{"id":"%d","method":"GET","url":"/servicePrincipals/%s/appRoleAssignments?%%24top=999","headers":{"accept":"application/json"},"body":null,"dependsOn":[]}`, 2*i+1, id))
		}
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write([]byte(`{"requests":[` + strings.Join(items, ",") + `]}`))
		zw.Close()
		bodies[n] = buf.Bytes()
	}
	client := srv.Client()
	b.SetParallelism(4) // 2 cores x 4 = 8 concurrent clients, miscope's default concurrency
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		n := 0
		for pb.Next() {
			req, _ := http.NewRequest(http.MethodPost, srv.URL()+"/v1.0/$batch", bytes.NewReader(bodies[n%len(bodies)]))
			req.Header.Set("Authorization", "Bearer "+tok.Token)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Content-Encoding", "gzip")
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || bytes.Count(body, []byte(`"status":200`)) != 20 {
				b.Errorf("batch answered %d: %.200s", resp.StatusCode, body)
				return
			}
			n++
		}
	})
}
