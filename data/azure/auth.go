package azure

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// endpoints are the hosts and token scopes of one cloud, after overrides.
type endpoints struct {
	cloud         string
	authorityHost string // with a trailing slash
	graphBase     string // without /v1.0 and without a trailing slash
	graphScope    string
	armEndpoint   string
	armAudience   string
	// discovery is false for an authority host that is not a Microsoft cloud's: MSAL would otherwise ask
	// login.microsoftonline.com to validate it.
	discovery bool
}

type cloudDefaults struct {
	config cloud.Configuration
	graph  string
}

var clouds = map[string]cloudDefaults{
	"public":       {cloud.AzurePublic, "https://graph.microsoft.com"},
	"usgovernment": {cloud.AzureGovernment, "https://graph.microsoft.us"},
	"china":        {cloud.AzureChina, "https://microsoftgraph.chinacloudapi.cn"},
}

// microsoftAuthorities are the sign-in hosts MSAL validates by itself.
var microsoftAuthorities = []string{
	"login.microsoftonline.com", "login.microsoftonline.us", "login.chinacloudapi.cn", "login.microsoft.com",
	"login.windows.net", "login.partner.microsoftonline.cn", "login-us.microsoftonline.com",
}

func resolveEndpoints(opts Options) (endpoints, error) {
	name := strings.ToLower(strings.TrimSpace(opts.Cloud))
	if name == "" {
		name = "public"
	}
	def, ok := clouds[name]
	if !ok {
		return endpoints{}, fmt.Errorf("unknown cloud %q: use public, usgovernment or china", opts.Cloud)
	}
	arm := def.config.Services[cloud.ResourceManager]
	e := endpoints{
		cloud:         name,
		authorityHost: def.config.ActiveDirectoryAuthorityHost,
		graphBase:     def.graph,
		graphScope:    def.graph + "/.default",
		armEndpoint:   arm.Endpoint,
		armAudience:   arm.Audience,
	}
	if h := os.Getenv("AZURE_AUTHORITY_HOST"); h != "" {
		e.authorityHost = h
	}
	graph := firstNonEmpty(opts.GraphEndpoint, os.Getenv("MISCOPE_GRAPH_ENDPOINT"))
	if graph != "" {
		e.graphBase = strings.TrimSuffix(strings.TrimSuffix(strings.TrimRight(graph, "/"), "/v1.0"), "/")
	}
	if a := firstNonEmpty(opts.ARMEndpoint, os.Getenv("MISCOPE_ARM_ENDPOINT")); a != "" {
		e.armEndpoint = strings.TrimRight(a, "/")
	}
	for what, raw := range map[string]string{"authority host": e.authorityHost, "Graph endpoint": e.graphBase,
		"ARM endpoint": e.armEndpoint} {
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" || (u.Scheme != "https" && !isLoopback(u.Hostname())) {
			return endpoints{}, fmt.Errorf("the %s %q is not an https URL", what, raw)
		}
	}
	if !strings.HasSuffix(e.authorityHost, "/") {
		e.authorityHost += "/"
	}
	u, _ := url.Parse(e.authorityHost)
	for _, h := range microsoftAuthorities {
		if strings.EqualFold(u.Hostname(), h) {
			e.discovery = true
		}
	}
	return e, nil
}

func isLoopback(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}

// clientOptions are the azcore options every credential and ARM client shares: the cloud, the transport and a retry
// policy that rides out throttling.
func (e endpoints) clientOptions(opts Options) azcore.ClientOptions {
	co := azcore.ClientOptions{
		Cloud: cloud.Configuration{
			ActiveDirectoryAuthorityHost: e.authorityHost,
			Services: map[cloud.ServiceName]cloud.ServiceConfiguration{
				cloud.ResourceManager: {Audience: e.armAudience, Endpoint: e.armEndpoint},
			},
		},
		// One retry policy for every request: retryTransport, under the pipeline. azcore's own would wait up to a
		// minute between tries when no Retry-After is given, and refuses to honour a Retry-After above its cap.
		Retry:     policy.RetryOptions{MaxRetries: -1},
		Transport: &http.Client{Transport: &retryTransport{next: parentTransport(opts), log: opts.Log}},
	}
	return co
}

// parentTransport is the transport under every client: the caller's, or Go's default.
func parentTransport(opts Options) http.RoundTripper {
	if opts.Transport != nil && opts.Transport.Transport != nil {
		return opts.Transport.Transport
	}
	return http.DefaultTransport
}

func newCredential(opts Options, e endpoints) (azcore.TokenCredential, error) {
	co := e.clientOptions(opts)
	noDiscovery := !e.discovery
	switch strings.ToLower(opts.Auth) {
	case "", "default":
		return azidentity.NewDefaultAzureCredential(&azidentity.DefaultAzureCredentialOptions{
			ClientOptions: co, TenantID: opts.TenantID, DisableInstanceDiscovery: noDiscovery})
	case "cli":
		return azidentity.NewAzureCLICredential(&azidentity.AzureCLICredentialOptions{TenantID: opts.TenantID})
	case "device-code":
		return azidentity.NewDeviceCodeCredential(&azidentity.DeviceCodeCredentialOptions{
			ClientOptions: co, TenantID: opts.TenantID, DisableInstanceDiscovery: noDiscovery,
			UserPrompt: func(_ context.Context, m azidentity.DeviceCodeMessage) error {
				opts.DeviceCode(deviceCodeText(m))
				return nil
			}})
	case "environment":
		return azidentity.NewEnvironmentCredential(&azidentity.EnvironmentCredentialOptions{
			ClientOptions: co, DisableInstanceDiscovery: noDiscovery})
	case "managed-identity":
		mo := &azidentity.ManagedIdentityCredentialOptions{ClientOptions: co}
		if id := os.Getenv("AZURE_CLIENT_ID"); id != "" {
			mo.ID = azidentity.ClientID(id)
		}
		return azidentity.NewManagedIdentityCredential(mo)
	}
	return nil, fmt.Errorf("unknown --auth %q: use default, cli, device-code, environment or managed-identity", opts.Auth)
}

// deviceCodeText lays the sign-in prompt out in short lines, so the URL and code can be read and copied at 80x24.
func deviceCodeText(m azidentity.DeviceCodeMessage) string {
	if m.VerificationURL == "" || m.UserCode == "" {
		return m.Message
	}
	return fmt.Sprintf("To sign in, open\n\n    %s\n\nand enter the code\n\n    %s\n", m.VerificationURL, m.UserCode)
}
