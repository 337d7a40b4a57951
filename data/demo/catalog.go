package demo

import "github.com/miscope/miscope/data"

// The catalogue below is what a real tenant returns for Microsoft's built-in definitions: the role definition GUIDs,
// Entra role template ids and Microsoft Graph app role ids are the public ones, and the action lists are those of the
// built-in definitions (trimmed of monitoring and support actions that decide nothing), so that the findings engine
// is exercised on the same facts it meets in a live tenant.

// Azure built-in role definition GUIDs.
const (
	roleOwner                       = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
	roleContributor                 = "b24988ac-6180-42a0-ab88-20f7382dd24c"
	roleReader                      = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
	roleUserAccessAdministrator     = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"
	roleRBACAdministrator           = "f58310d9-a9f6-439a-9e8d-f62e7b41a168"
	roleVMContributor               = "9980e02c-c2be-4d73-94e8-173b1dc7cf3c"
	roleVMAdminLogin                = "1c0163c0-47e6-4577-8991-ea5c82e286e4"
	roleWebsiteContributor          = "de139f84-1756-47ae-9be6-808fbbe84772"
	roleLogicAppContributor         = "87a39d53-fc1b-424a-814c-f7e04687dc9e"
	roleAutomationContributor       = "f353d9bd-d4a6-484e-a77a-8050b599b867"
	roleManagedIdentityOperator     = "f1a07417-d97a-45cb-824c-7a7467783830"
	roleManagedIdentityContributor  = "e40ec5ca-96e0-45a2-b4ff-59039f2c2b59"
	roleKeyVaultAdministrator       = "00482a5a-887f-4fb3-b363-3b7fe8e74483"
	roleKeyVaultSecretsOfficer      = "b86a8fe4-44ce-4948-aee5-eccb2c155cd7"
	roleKeyVaultSecretsUser         = "4633458b-17de-408a-b874-0445c86b69e6"
	roleKeyVaultCryptoEncryption    = "e147488a-f6f5-4113-8e2d-b22465e65bf6"
	roleStorageBlobDataOwner        = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b"
	roleStorageBlobDataContributor  = "ba92f5b4-2d11-453d-a403-e96b0029c9fe"
	roleStorageBlobDataReader       = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"
	roleAcrPull                     = "7f951dda-4ed3-4680-a7ca-43fe172d538d"
	roleMonitoringMetricsPublisher  = "3913510d-42f4-4e42-8a64-420c390055eb"
	roleNetworkContributor          = "4d97b98b-1d4f-4787-a291-c67834d212e7"
	roleAKSClusterAdmin             = "0ab0b1a8-8aac-4efd-b8c2-3ee1fb270be8"
	roleServiceBusDataSender        = "69a216fc-b8fb-44d8-bc22-1f3c2cd27a39"
	roleStorageQueueDataContributor = "974c5e8b-45b9-4653-ba55-5f855dd0fb88"

	// Custom roles of the demo organisation (GUIDs chosen by the tenant, as Azure does for custom roles).
	roleCustomDeploymentOperator = "5d1f7c1e-3a52-4b8e-9c07-2f64e0a9b3d1"
	roleCustomCostReader         = "a3c9e2b4-81d6-4f0a-b7e5-6c2d9f1e4a08"
	// roleRetired is referenced by a role assignment but has no definition any more (a custom role deleted after it
	// was assigned), so the assignment cannot be resolved.
	roleRetired = "0f9c3b2a-6e7d-4c1b-8a5f-93d2e4b1c706"
)

// builtinRoles are the Azure built-in role definitions the demo and the synthetic tenants use.
var builtinRoles = []data.RoleDefinition{
	{ID: roleOwner, RoleName: "Owner", Actions: []string{"*"}},
	{ID: roleContributor, RoleName: "Contributor", Actions: []string{"*"}, NotActions: []string{
		"Microsoft.Authorization/*/Delete", "Microsoft.Authorization/*/Write",
		"Microsoft.Authorization/elevateAccess/Action", "Microsoft.Blueprint/blueprintAssignments/write",
		"Microsoft.Blueprint/blueprintAssignments/delete", "Microsoft.Compute/galleries/share/action",
		"Microsoft.Purview/consents/write", "Microsoft.Purview/consents/delete",
		"Microsoft.Resources/deploymentStacks/manageDenySetting/action", "Microsoft.Subscription/cancel/action",
		"Microsoft.Subscription/enable/action"}},
	{ID: roleReader, RoleName: "Reader", Actions: []string{"*/read"}},
	{ID: roleUserAccessAdministrator, RoleName: "User Access Administrator", Actions: []string{
		"*/read", "Microsoft.Authorization/*", "Microsoft.Support/*"}},
	{ID: roleRBACAdministrator, RoleName: "Role Based Access Control Administrator", Actions: []string{
		"Microsoft.Authorization/roleAssignments/write", "Microsoft.Authorization/roleAssignments/delete", "*/read",
		"Microsoft.Support/*"}},
	{ID: roleVMContributor, RoleName: "Virtual Machine Contributor", Actions: []string{
		"Microsoft.Authorization/*/read", "Microsoft.Compute/availabilitySets/*", "Microsoft.Compute/locations/*",
		"Microsoft.Compute/virtualMachines/*", "Microsoft.Compute/virtualMachineScaleSets/*",
		"Microsoft.Compute/disks/write", "Microsoft.Compute/disks/read", "Microsoft.Compute/disks/delete",
		"Microsoft.Network/networkInterfaces/*", "Microsoft.Network/virtualNetworks/read",
		"Microsoft.Network/virtualNetworks/subnets/join/action", "Microsoft.Resources/deployments/*",
		"Microsoft.Resources/subscriptions/resourceGroups/read", "Microsoft.Storage/storageAccounts/listKeys/action",
		"Microsoft.Storage/storageAccounts/read", "Microsoft.Support/*"}},
	{ID: roleVMAdminLogin, RoleName: "Virtual Machine Administrator Login", Actions: []string{
		"Microsoft.Network/publicIPAddresses/read", "Microsoft.Network/virtualNetworks/read",
		"Microsoft.Network/loadBalancers/read", "Microsoft.Network/networkInterfaces/read",
		"Microsoft.Compute/virtualMachines/*/read", "Microsoft.HybridCompute/machines/*/read",
		"Microsoft.HybridConnectivity/endpoints/listCredentials/action"}, DataActions: []string{
		"Microsoft.Compute/virtualMachines/login/action", "Microsoft.Compute/virtualMachines/loginAsAdmin/action",
		"Microsoft.HybridCompute/machines/login/action", "Microsoft.HybridCompute/machines/loginAsAdmin/action"}},
	{ID: roleWebsiteContributor, RoleName: "Website Contributor", Actions: []string{
		"Microsoft.Authorization/*/read", "Microsoft.Insights/alertRules/*", "Microsoft.Insights/components/*",
		"Microsoft.ResourceHealth/availabilityStatuses/read", "Microsoft.Resources/deployments/*",
		"Microsoft.Resources/subscriptions/resourceGroups/read", "Microsoft.Support/*", "Microsoft.Web/certificates/*",
		"Microsoft.Web/listSitesAssignedToHostName/read", "Microsoft.Web/serverFarms/join/action",
		"Microsoft.Web/serverFarms/read", "Microsoft.Web/sites/*"}},
	{ID: roleLogicAppContributor, RoleName: "Logic App Contributor", Actions: []string{
		"Microsoft.Authorization/*/read", "Microsoft.Insights/alertRules/*", "Microsoft.Insights/diagnosticSettings/*",
		"Microsoft.Logic/*", "Microsoft.Resources/deployments/operations/read",
		"Microsoft.Resources/subscriptions/operationresults/read", "Microsoft.Resources/subscriptions/resourceGroups/read",
		"Microsoft.Storage/storageAccounts/listkeys/action", "Microsoft.Storage/storageAccounts/read",
		"Microsoft.Support/*", "Microsoft.Web/connectionGateways/*", "Microsoft.Web/connections/*",
		"Microsoft.Web/customApis/*", "Microsoft.Web/serverFarms/join/action", "Microsoft.Web/serverFarms/read",
		"Microsoft.Web/sites/functions/listSecrets/action"}},
	{ID: roleAutomationContributor, RoleName: "Automation Contributor", Actions: []string{
		"Microsoft.Automation/automationAccounts/*", "Microsoft.Authorization/*/read",
		"Microsoft.Insights/alertRules/*", "Microsoft.Resources/deployments/*",
		"Microsoft.Resources/subscriptions/resourceGroups/read", "Microsoft.Support/*",
		"Microsoft.Insights/ActionGroups/*", "Microsoft.Insights/ActivityLogAlerts/*",
		"Microsoft.Insights/MetricAlerts/*", "Microsoft.Insights/ScheduledQueryRules/*",
		"Microsoft.Insights/diagnosticSettings/*", "Microsoft.OperationalInsights/workspaces/sharedKeys/action"}},
	{ID: roleManagedIdentityOperator, RoleName: "Managed Identity Operator", Actions: []string{
		"Microsoft.ManagedIdentity/userAssignedIdentities/*/read",
		"Microsoft.ManagedIdentity/userAssignedIdentities/*/assign/action", "Microsoft.Authorization/*/read",
		"Microsoft.Insights/alertRules/*", "Microsoft.Resources/subscriptions/resourceGroups/read",
		"Microsoft.Resources/deployments/*", "Microsoft.Support/*"}},
	{ID: roleManagedIdentityContributor, RoleName: "Managed Identity Contributor", Actions: []string{
		"Microsoft.ManagedIdentity/userAssignedIdentities/read",
		"Microsoft.ManagedIdentity/userAssignedIdentities/write",
		"Microsoft.ManagedIdentity/userAssignedIdentities/delete",
		"Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/read",
		"Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write",
		"Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/delete",
		"Microsoft.Authorization/*/read", "Microsoft.Insights/alertRules/*",
		"Microsoft.Resources/subscriptions/resourceGroups/read", "Microsoft.Resources/deployments/*",
		"Microsoft.Support/*"}},
	{ID: roleKeyVaultAdministrator, RoleName: "Key Vault Administrator", Actions: []string{
		"Microsoft.Authorization/*/read", "Microsoft.Insights/alertRules/*", "Microsoft.Resources/deployments/*",
		"Microsoft.Resources/subscriptions/resourceGroups/read", "Microsoft.Support/*",
		"Microsoft.KeyVault/checkNameAvailability/read", "Microsoft.KeyVault/deletedVaults/read",
		"Microsoft.KeyVault/locations/*/read", "Microsoft.KeyVault/vaults/*/read", "Microsoft.KeyVault/operations/read"},
		DataActions: []string{"Microsoft.KeyVault/vaults/*"}},
	{ID: roleKeyVaultSecretsOfficer, RoleName: "Key Vault Secrets Officer", Actions: []string{
		"Microsoft.Authorization/*/read", "Microsoft.Insights/alertRules/*", "Microsoft.Resources/deployments/*",
		"Microsoft.Resources/subscriptions/resourceGroups/read", "Microsoft.Support/*",
		"Microsoft.KeyVault/checkNameAvailability/read", "Microsoft.KeyVault/deletedVaults/read",
		"Microsoft.KeyVault/locations/*/read", "Microsoft.KeyVault/vaults/*/read", "Microsoft.KeyVault/operations/read"},
		DataActions: []string{"Microsoft.KeyVault/vaults/secrets/*"}},
	{ID: roleKeyVaultSecretsUser, RoleName: "Key Vault Secrets User", DataActions: []string{
		"Microsoft.KeyVault/vaults/secrets/getSecret/action", "Microsoft.KeyVault/vaults/secrets/readMetadata/action"}},
	{ID: roleKeyVaultCryptoEncryption, RoleName: "Key Vault Crypto Service Encryption User", Actions: []string{
		"Microsoft.EventGrid/eventSubscriptions/write", "Microsoft.EventGrid/eventSubscriptions/read",
		"Microsoft.EventGrid/eventSubscriptions/delete"}, DataActions: []string{
		"Microsoft.KeyVault/vaults/keys/read", "Microsoft.KeyVault/vaults/keys/wrap/action",
		"Microsoft.KeyVault/vaults/keys/unwrap/action"}},
	{ID: roleStorageBlobDataOwner, RoleName: "Storage Blob Data Owner", Actions: []string{
		"Microsoft.Storage/storageAccounts/blobServices/containers/*",
		"Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action"},
		DataActions: []string{"Microsoft.Storage/storageAccounts/blobServices/containers/blobs/*"}},
	{ID: roleStorageBlobDataContributor, RoleName: "Storage Blob Data Contributor", Actions: []string{
		"Microsoft.Storage/storageAccounts/blobServices/containers/delete",
		"Microsoft.Storage/storageAccounts/blobServices/containers/read",
		"Microsoft.Storage/storageAccounts/blobServices/containers/write",
		"Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action"}, DataActions: []string{
		"Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete",
		"Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read",
		"Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write",
		"Microsoft.Storage/storageAccounts/blobServices/containers/blobs/move/action",
		"Microsoft.Storage/storageAccounts/blobServices/containers/blobs/add/action"}},
	{ID: roleStorageBlobDataReader, RoleName: "Storage Blob Data Reader", Actions: []string{
		"Microsoft.Storage/storageAccounts/blobServices/containers/read",
		"Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action"},
		DataActions: []string{"Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"}},
	{ID: roleStorageQueueDataContributor, RoleName: "Storage Queue Data Contributor", Actions: []string{
		"Microsoft.Storage/storageAccounts/queueServices/queues/delete",
		"Microsoft.Storage/storageAccounts/queueServices/queues/read",
		"Microsoft.Storage/storageAccounts/queueServices/queues/write"}, DataActions: []string{
		"Microsoft.Storage/storageAccounts/queueServices/queues/messages/delete",
		"Microsoft.Storage/storageAccounts/queueServices/queues/messages/read",
		"Microsoft.Storage/storageAccounts/queueServices/queues/messages/write",
		"Microsoft.Storage/storageAccounts/queueServices/queues/messages/process/action"}},
	{ID: roleAcrPull, RoleName: "AcrPull", Actions: []string{"Microsoft.ContainerRegistry/registries/pull/read"}},
	{ID: roleMonitoringMetricsPublisher, RoleName: "Monitoring Metrics Publisher", Actions: []string{
		"Microsoft.Insights/Register/Action", "Microsoft.Support/*",
		"Microsoft.Resources/subscriptions/resourceGroups/read"},
		DataActions: []string{"Microsoft.Insights/Metrics/Write"}},
	{ID: roleNetworkContributor, RoleName: "Network Contributor", Actions: []string{
		"Microsoft.Authorization/*/read", "Microsoft.Insights/alertRules/*", "Microsoft.Network/*",
		"Microsoft.ResourceHealth/availabilityStatuses/read", "Microsoft.Resources/deployments/*",
		"Microsoft.Resources/subscriptions/resourceGroups/read", "Microsoft.Support/*"}},
	{ID: roleAKSClusterAdmin, RoleName: "Azure Kubernetes Service Cluster Admin Role", Actions: []string{
		"Microsoft.ContainerService/managedClusters/listClusterAdminCredential/action",
		"Microsoft.ContainerService/managedClusters/accessProfiles/listCredential/action",
		"Microsoft.ContainerService/managedClusters/read",
		"Microsoft.ContainerService/managedClusters/runcommand/action"}},
	{ID: roleServiceBusDataSender, RoleName: "Azure Service Bus Data Sender", Actions: []string{
		"Microsoft.ServiceBus/*/queues/read", "Microsoft.ServiceBus/*/topics/read",
		"Microsoft.ServiceBus/*/topics/subscriptions/read"},
		DataActions: []string{"Microsoft.ServiceBus/*/send/action"}},
}

// customRoles are the demo organisation's own definitions: one dangerous whatever its name says, one harmless.
var customRoles = []data.RoleDefinition{
	{ID: roleCustomDeploymentOperator, RoleName: "Contoso Deployment Operator", Custom: true, Actions: []string{
		"*/read", "Microsoft.Resources/deployments/*", "Microsoft.Authorization/*/write",
		"Microsoft.Web/sites/*", "Microsoft.Compute/virtualMachines/runCommand/action"}},
	{ID: roleCustomCostReader, RoleName: "Contoso Cost Reader", Custom: true, Actions: []string{
		"Microsoft.Consumption/*/read", "Microsoft.CostManagement/*/read", "Microsoft.Billing/billingPeriods/read",
		"Microsoft.Resources/subscriptions/read", "Microsoft.Resources/subscriptions/resourceGroups/read"}},
}

// Entra built-in role template ids.
const (
	dirGlobalAdministrator         = "62e90394-69f5-4237-9190-012177145e10"
	dirPrivilegedRoleAdministrator = "e8611ab8-c189-46e8-94e1-60213ab1f814"
	dirApplicationAdministrator    = "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3"
	dirCloudApplicationAdmin       = "158c047a-c907-4556-b7ef-446551a6b5f7"
	dirUserAdministrator           = "fe930be7-5e62-47db-91af-98c3a49a38b1"
	dirGroupsAdministrator         = "fdd7a751-b60b-444a-984c-02652fe8fa1c"
	dirIntuneAdministrator         = "3a2c62db-5318-420d-8d74-23affee5d9d5"
	dirExchangeAdministrator       = "29232cdf-9323-42fd-ade2-1d097af3e4de"
	dirSecurityAdministrator       = "194ae4cb-b126-40b2-bd5b-6091b380977d"
	dirConditionalAccessAdmin      = "b1be1c3e-b65d-4f19-8427-f6fa0d97feb9"
	dirGlobalReader                = "f2ef992c-3afb-46b9-b7cf-a126ee74c451"
	dirDirectoryReaders            = "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"
	dirSecurityReader              = "5d6b6bb7-de71-4623-b4af-96380a352509"
	dirReportsReader               = "4a5d8f65-41da-4de4-8968-e035b65339cf"
	dirHelpdeskAdministrator       = "729827e3-9c14-49f7-bb1b-9608f156bbb8"
	dirAuthenticationAdministrator = "c4e39bd9-1100-46d3-8c65-fb160da0071f"
	dirPrivilegedAuthAdministrator = "7be44c8a-adaf-4e2a-84d6-ab2649e08a13"
	dirSharePointAdministrator     = "f28a1f50-f6e7-4571-818b-6a12f2af6b6c"
	dirIdentityGovernanceAdmin     = "45d8d3c5-c802-45c6-b32a-1d70b5e1e86e"
	dirHybridIdentityAdministrator = "8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2"
	dirDirectoryWriters            = "9360feb5-f418-4baa-8175-e2a00bac4301"
	dirPasswordAdministrator       = "966707d0-3269-4727-9be2-8c3a10f19b9d"
	dirDomainNameAdministrator     = "8329153b-31d0-4727-b945-745eb3bc5f31"
	dirExternalIdPAdministrator    = "be2f45a1-457d-42af-a067-6ec1fa63bc45"
	dirAzureDevOpsAdministrator    = "e3973bdf-4987-49ae-837a-ba8e231c7286"
	dirPartnerTier1Support         = "4ba39ca4-527c-499a-b93d-d9b492c50246"
	dirPartnerTier2Support         = "e00e864a-17c5-4a4b-9c06-f5b95a8d5bd8"
)

// directoryRoles are the Entra built-in role definitions as roleManagement/directory/roleDefinitions lists them;
// IsPrivileged is Microsoft's own flag.
var directoryRoles = []data.DirectoryRoleDefinition{
	{TemplateID: dirGlobalAdministrator, DisplayName: "Global Administrator", IsBuiltIn: true, IsPrivileged: true},
	{TemplateID: dirPrivilegedRoleAdministrator, DisplayName: "Privileged Role Administrator", IsBuiltIn: true, IsPrivileged: true},
	{TemplateID: dirPrivilegedAuthAdministrator, DisplayName: "Privileged Authentication Administrator", IsBuiltIn: true, IsPrivileged: true},
	{TemplateID: dirApplicationAdministrator, DisplayName: "Application Administrator", IsBuiltIn: true, IsPrivileged: true},
	{TemplateID: dirCloudApplicationAdmin, DisplayName: "Cloud Application Administrator", IsBuiltIn: true, IsPrivileged: true},
	{TemplateID: dirAuthenticationAdministrator, DisplayName: "Authentication Administrator", IsBuiltIn: true, IsPrivileged: true},
	{TemplateID: dirHelpdeskAdministrator, DisplayName: "Helpdesk Administrator", IsBuiltIn: true, IsPrivileged: true},
	{TemplateID: dirPasswordAdministrator, DisplayName: "Password Administrator", IsBuiltIn: true, IsPrivileged: true},
	{TemplateID: dirUserAdministrator, DisplayName: "User Administrator", IsBuiltIn: true, IsPrivileged: true},
	{TemplateID: dirGroupsAdministrator, DisplayName: "Groups Administrator", IsBuiltIn: true},
	{TemplateID: dirDirectoryWriters, DisplayName: "Directory Writers", IsBuiltIn: true, IsPrivileged: true},
	{TemplateID: dirConditionalAccessAdmin, DisplayName: "Conditional Access Administrator", IsBuiltIn: true, IsPrivileged: true},
	{TemplateID: dirSecurityAdministrator, DisplayName: "Security Administrator", IsBuiltIn: true, IsPrivileged: true},
	{TemplateID: dirHybridIdentityAdministrator, DisplayName: "Hybrid Identity Administrator", IsBuiltIn: true, IsPrivileged: true},
	{TemplateID: dirExternalIdPAdministrator, DisplayName: "External Identity Provider Administrator", IsBuiltIn: true, IsPrivileged: true},
	{TemplateID: dirDomainNameAdministrator, DisplayName: "Domain Name Administrator", IsBuiltIn: true, IsPrivileged: true},
	{TemplateID: dirIntuneAdministrator, DisplayName: "Intune Administrator", IsBuiltIn: true, IsPrivileged: true},
	{TemplateID: dirExchangeAdministrator, DisplayName: "Exchange Administrator", IsBuiltIn: true},
	{TemplateID: dirSharePointAdministrator, DisplayName: "SharePoint Administrator", IsBuiltIn: true},
	{TemplateID: dirIdentityGovernanceAdmin, DisplayName: "Identity Governance Administrator", IsBuiltIn: true},
	{TemplateID: dirAzureDevOpsAdministrator, DisplayName: "Azure DevOps Administrator", IsBuiltIn: true},
	{TemplateID: dirPartnerTier1Support, DisplayName: "Partner Tier1 Support", IsBuiltIn: true, IsPrivileged: true},
	{TemplateID: dirPartnerTier2Support, DisplayName: "Partner Tier2 Support", IsBuiltIn: true, IsPrivileged: true},
	{TemplateID: dirGlobalReader, DisplayName: "Global Reader", IsBuiltIn: true, IsPrivileged: true},
	{TemplateID: dirDirectoryReaders, DisplayName: "Directory Readers", IsBuiltIn: true},
	{TemplateID: dirSecurityReader, DisplayName: "Security Reader", IsBuiltIn: true, IsPrivileged: true},
	{TemplateID: dirReportsReader, DisplayName: "Reports Reader", IsBuiltIn: true},
}

// graphPermission is an application permission of Microsoft Graph (or another first-party API).
type graphPermission struct {
	value, appRoleID string
}

// Microsoft Graph application permissions, by value.
var (
	permRoleManagementRW        = graphPermission{"RoleManagement.ReadWrite.Directory", "9e3f62cf-ca93-4989-b6ce-bf83c28f9fe8"}
	permAppRoleAssignmentRW     = graphPermission{"AppRoleAssignment.ReadWrite.All", "06b708a9-e830-4db3-a914-8e69da51d44f"}
	permApplicationRW           = graphPermission{"Application.ReadWrite.All", "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9"}
	permApplicationRWOwnedBy    = graphPermission{"Application.ReadWrite.OwnedBy", "18a4783c-866b-4cc7-a460-3d5e5662c884"}
	permDirectoryRW             = graphPermission{"Directory.ReadWrite.All", "19dbc75e-c2e2-444c-a770-ec69d8559fc7"}
	permGroupMemberRW           = graphPermission{"GroupMember.ReadWrite.All", "dbaae8cf-10b5-4b86-a4a1-f871c94c6695"}
	permUserRW                  = graphPermission{"User.ReadWrite.All", "741f803b-c850-494e-b5df-cde7c675a1ca"}
	permPolicyConditionalAccess = graphPermission{"Policy.ReadWrite.ConditionalAccess", "01c0a623-fc9b-48e9-b794-0756f8e8f067"}
	permMailRead                = graphPermission{"Mail.Read", "810c84a8-4a9e-49e6-bf7d-12d183f40d01"}
	permMailSend                = graphPermission{"Mail.Send", "b633e1c5-b582-4048-a93e-9f11b44c7e96"}
	permSitesReadAll            = graphPermission{"Sites.Read.All", "332a536c-c7ef-4017-ab91-336970924f0d"}
	permFilesReadAll            = graphPermission{"Files.Read.All", "01d4889c-1287-42c6-ac1f-5d1e02578ef6"}
	permUserReadAll             = graphPermission{"User.Read.All", "df021288-bdef-4463-88db-98f22de89214"}
	permGroupReadAll            = graphPermission{"Group.Read.All", "5b567255-7703-4780-807c-7be8301ae99b"}
	permDirectoryReadAll        = graphPermission{"Directory.Read.All", "7ab1d382-f21e-4acd-a863-ba3e13f7da61"}
	permAuditLogReadAll         = graphPermission{"AuditLog.Read.All", "b0afded3-3588-46d8-8b3d-9842eff778da"}
	permApplicationReadAll      = graphPermission{"Application.Read.All", "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30"}
)

// Office 365 Exchange Online, a first-party API other than Graph whose full_access_as_app reads every mailbox.
const (
	exchangeOnlineAppID = "00000002-0000-0ff1-ce00-000000000000"
)

var permExchangeFullAccess = graphPermission{"full_access_as_app", "dc890d15-9560-4a4c-9b7f-a736ec74ec40"}

// Issuers of federated credentials.
const (
	issuerGitHub    = "https://token.actions.githubusercontent.com"
	tokenExchange   = "api://AzureADTokenExchange"
	issuerAKSFormat = "https://westeurope.oic.prod-aks.azure.com/%s/%s/" // tenant id, cluster-specific GUID
)
