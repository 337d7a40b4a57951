package demo

import (
	"fmt"
	"time"

	"github.com/miscope/miscope/data"
)

// TenantID is the demo organisation's tenant id.
const TenantID = "4f7c2a19-8d3e-4b6a-9c51-7e2d0b8f3a64"

// TenantName is the demo organisation's name.
const TenantName = "Contoso Pharma"

// collectedAt is when the demo snapshot claims to have been read; credential expiry in the demo is relative to it.
var collectedAt = time.Date(2026, time.November, 20, 9, 30, 0, 0, time.UTC)

// Build assembles the demo tenant: Contoso Pharma, a mid-sized pharmaceutical company with a platform team, research
// and manufacturing landing zones, a commercial online business and a sandbox. Every case the findings engine looks
// for is present once or twice, among identities that are fine, as in a real tenant.
func Build() *data.Tenant {
	b := newBuilder(TenantID, TenantName, collectedAt)
	t := b.t
	t.RoleDefinitions = append(append([]data.RoleDefinition(nil), builtinRoles...), customRoles...)
	t.DirectoryRoleDefinitions = append([]data.DirectoryRoleDefinition(nil), directoryRoles...)

	graph := graphResource{data.MicrosoftGraphAppID, guid("sp", "Microsoft Graph"), "Microsoft Graph"}
	exchange := graphResource{exchangeOnlineAppID, guid("sp", "Office 365 Exchange Online"), "Office 365 Exchange Online"}

	// Management groups: the tenant root group, the organisation, and the landing-zone split of the Cloud Adoption
	// Framework.
	root := b.rootGroup()
	contoso := b.managementGroup("contoso", "Contoso Pharma", root)
	platformMG := b.managementGroup("contoso-platform", "Platform", contoso)
	landingZones := b.managementGroup("contoso-landing-zones", "Landing Zones", contoso)
	corp := b.managementGroup("contoso-corp", "Corp", landingZones)
	online := b.managementGroup("contoso-online", "Online", landingZones)
	sandboxMG := b.managementGroup("contoso-sandbox", "Sandbox", contoso)

	mgmt := b.subscription("Contoso Platform Management", platformMG)
	research := b.subscription("Contoso Research Production", corp)
	manufacturing := b.subscription("Contoso Manufacturing Production", corp)
	commercial := b.subscription("Contoso Commercial Online", online)
	sandbox := b.subscription("Contoso Sandbox", sandboxMG)

	// People and groups that hold Azure roles next to the identities.
	dana := b.principal(data.PrincipalUser, "Dana Whitfield")
	marcus := b.principal(data.PrincipalUser, "Marcus Ortega")
	priya := b.principal(data.PrincipalUser, "Priya Raman")
	platformOwners := b.principal(data.PrincipalGroup, "Platform Engineering Owners")
	researchIT := b.principal(data.PrincipalGroup, "Research IT Operations")
	appDevOps := b.principal(data.PrincipalGroup, "Application DevOps")
	legacyDeployer := b.principal(data.PrincipalServicePrincipal, "sp-legacy-deployer")
	// A contractor's account was deleted; the role assignments made to it were not.
	formerContractor := b.deletedPrincipal(data.PrincipalUser, "former contractor")

	b.azureRole(platformOwners, data.PrincipalGroup, roleOwner, platformMG)
	b.azureRole(marcus, data.PrincipalUser, roleReader, contoso)
	b.azureRole(priya, data.PrincipalUser, roleKeyVaultAdministrator,
		rg(research, "rg-research-lims")+"/providers/Microsoft.KeyVault/vaults/kv-research-lims")

	// Entra groups the identities belong to.
	userAdmins := b.group("grp-entra-user-admins", true)
	platformOperators := b.group("grp-platform-operators", false)
	allAutomation := b.group("grp-all-automation-identities", false)
	// A group name with a right-to-left override, as someone hiding its purpose might write it; it must reach the
	// screen cleaned.
	reporting := b.group("grp-reporting-\u202enimda\u202c", false)
	b.directoryRole(userAdmins, dirUserAdministrator, data.Active)
	b.azureRole(platformOperators, data.PrincipalGroup, roleContributor, "/subscriptions/"+mgmt)

	// Platform management.
	automationRG := rg(mgmt, "rg-platform-automation")
	identityRG := rg(mgmt, "rg-platform-identity")
	monitoringRG := rg(mgmt, "rg-platform-monitoring")
	runnersRG := rg(mgmt, "rg-platform-runners")
	backupRG := rg(mgmt, "rg-platform-backup")
	const weu, neu, eus2 = "westeurope", "northeurope", "eastus2"

	platformOps := b.systemAssignedOn(automationRG, "Microsoft.Automation/automationAccounts", "aa-platform-ops", weu)
	b.directoryRole(platformOps.ID, dirPrivilegedRoleAdministrator, data.Active)
	b.identityRole(platformOps, roleReader, contoso)

	entraHousekeeping := b.systemAssignedOn(automationRG, "Microsoft.Automation/automationAccounts",
		"aa-entra-housekeeping", weu)
	b.directoryRole(entraHousekeeping.ID, dirApplicationAdministrator, data.Eligible)
	b.appRole(entraHousekeeping.ID, graph, permDirectoryReadAll)

	patching := b.systemAssignedOn(automationRG, "Microsoft.Automation/automationAccounts", "aa-platform-patching", weu)
	b.member(platformOperators, patching)
	b.member(allAutomation, platformOps, entraHousekeeping, patching)

	runner := b.resource(runnersRG, "Microsoft.Compute/virtualMachines", "vm-gh-runner-01", weu)
	platformDeploy := b.userAssigned(identityRG, "id-platform-deploy", weu)
	b.attach(runner, platformDeploy)
	b.identityRole(platformDeploy, roleOwner, landingZones)
	b.fic(platformDeploy, "github-platform-infra-main", issuerGitHub, "repo:contoso-pharma/platform-infra:ref:refs/heads/main")
	b.azureRole(dana, data.PrincipalUser, roleVMContributor, runnersRG)

	lzVending := b.userAssigned(identityRG, "id-lz-vending", weu)
	b.attach(b.resource(identityRG, "Microsoft.Web/sites", "func-lz-vending", weu), lzVending)
	b.identityRole(lzVending, roleUserAccessAdministrator, "/subscriptions/"+commercial)
	b.identityRole(lzVending, roleReader, landingZones)
	b.azureRole(appDevOps, data.PrincipalGroup, roleManagedIdentityOperator, lzVending.ResourceID)

	entraLifecycle := b.systemAssignedOn(identityRG, "Microsoft.Web/sites", "func-entra-lifecycle", weu)
	b.appRole(entraLifecycle.ID, graph, permUserRW)
	b.appRole(entraLifecycle.ID, graph, permGroupMemberRW)

	appregAutomation := b.userAssigned(identityRG, "id-appreg-automation", weu)
	b.attach(b.resource(identityRG, "Microsoft.App/jobs", "caj-appreg-sync", weu), appregAutomation)
	b.appRole(appregAutomation.ID, graph, permRoleManagementRW)
	b.appRole(appregAutomation.ID, graph, permAppRoleAssignmentRW)
	b.appRole(appregAutomation.ID, graph, permApplicationReadAll)

	governance := b.userAssigned(identityRG, "id-identity-governance", weu)
	b.attach(b.resource(identityRG, "Microsoft.Web/sites", "func-joiner-mover-leaver", weu), governance)
	b.member(userAdmins, governance)
	b.transitiveMember(allAutomation, governance)
	b.appRole(governance.ID, graph, permUserReadAll)

	graphReporting := b.systemAssignedOn(monitoringRG, "Microsoft.Web/sites", "func-graph-reporting", weu)
	b.appRole(graphReporting.ID, graph, permUserReadAll)
	b.appRole(graphReporting.ID, graph, permGroupReadAll)
	b.appRole(graphReporting.ID, graph, permAuditLogReadAll)
	b.directoryRole(graphReporting.ID, dirGlobalReader, data.Active)
	b.member(reporting, graphReporting)

	costExport := b.systemAssignedOn(monitoringRG, "Microsoft.Web/sites", "func-cost-export", weu)
	b.identityRole(costExport, roleCustomCostReader, contoso)

	inventory := b.systemAssignedOn(monitoringRG, "Microsoft.Web/sites", "func-inventory-reader", weu)
	b.identityRole(inventory, roleReader, "/subscriptions/"+research)

	backup := b.systemAssignedOn(backupRG, "Microsoft.DataProtection/backupVaults", "bvault-platform-backup", weu)
	b.identityRole(backup, roleReader, backupRG)
	b.identityRole(backup, roleStorageBlobDataReader,
		b.resource(backupRG, "Microsoft.Storage/storageAccounts", "stplatformbackup", weu))

	financeReporting := b.userAssigned(identityRG, "id-finance-reporting", weu)
	b.attach(b.resource(monitoringRG, "Microsoft.Web/sites", "func-finance-reports", weu), financeReporting)
	b.identityRole(financeReporting, roleStorageBlobDataReader,
		b.resource(monitoringRG, "Microsoft.Storage/storageAccounts", "stfinancereports", weu))
	t.Gaps = append(t.Gaps, data.Gap{
		Section:    data.SectionFederatedCredentials,
		IdentityID: financeReporting.ID,
		Scope:      financeReporting.ResourceID,
		Reason:     "403 Forbidden listing the federated identity credentials of id-finance-reporting",
		Needs:      "Reader on rg-platform-identity",
	})

	// Research production: LIMS on container apps and AKS, a data platform, lab machines.
	limsRG := rg(research, "rg-research-lims")
	aksRG := rg(research, "rg-research-aks")
	nodeRG := rg(research, "MC_rg-research-aks_aks-research-prod_westeurope")
	dataRG := rg(research, "rg-research-data")
	jumpRG := rg(research, "rg-research-jumpbox")
	labRG := rg(research, "rg-research-lab")

	jumpbox := b.systemAssignedOn(jumpRG, "Microsoft.Compute/virtualMachines", "vm-jumpbox-01", weu)
	b.identityRole(jumpbox, roleOwner, "/subscriptions/"+research)
	b.azureRole(researchIT, data.PrincipalGroup, roleVMContributor, jumpbox.ResourceID)

	aks := b.systemAssignedOn(aksRG, "Microsoft.ContainerService/managedClusters", "aks-research-prod", weu)
	vnet := b.resource(aksRG, "Microsoft.Network/virtualNetworks", "vnet-research-aks", weu)
	b.identityRole(aks, roleNetworkContributor, vnet)
	acr := b.resource(aksRG, "Microsoft.ContainerRegistry/registries", "acrcontosoresearch", weu)
	systemPool := b.resource(nodeRG, "Microsoft.Compute/virtualMachineScaleSets", "aks-systempool-31415926-vmss", weu)
	userPool := b.resource(nodeRG, "Microsoft.Compute/virtualMachineScaleSets", "aks-userpool-27182818-vmss", weu)
	kubelet := b.userAssigned(nodeRG, "aks-research-prod-agentpool", weu)
	omsagent := b.userAssigned(nodeRG, "omsagent-aks-research-prod", weu)
	b.attach(systemPool, kubelet, omsagent)
	b.attach(userPool, kubelet, omsagent)
	b.identityRole(kubelet, roleAcrPull, acr)
	b.identityRole(omsagent, roleMonitoringMetricsPublisher, aks.ResourceID)

	limsVault := b.resource(limsRG, "Microsoft.KeyVault/vaults", "kv-research-lims", weu)
	limsAPI := b.systemAssignedOn(limsRG, "Microsoft.App/containerApps", "ca-lims-api", weu)
	b.identityRole(limsAPI, roleKeyVaultSecretsUser, limsVault)
	limsWorkload := b.userAssigned(limsRG, "id-lims-workload", weu)
	b.attach(limsAPI.ResourceID, limsWorkload)
	b.identityRole(limsWorkload, roleKeyVaultSecretsUser, limsVault)
	b.fic(limsWorkload, "aks-lims-api", fmt.Sprintf(issuerAKSFormat, TenantID, guid("aks-oidc", "aks-research-prod")),
		"system:serviceaccount:lims:lims-api")

	sql := b.systemAssignedOn(dataRG, "Microsoft.Sql/servers", "sql-research-prod", weu)
	b.identityRole(sql, roleKeyVaultCryptoEncryption, b.resource(dataRG, "Microsoft.KeyVault/vaults", "kv-research-cmk", weu))

	rawData := b.resource(dataRG, "Microsoft.Storage/storageAccounts", "stresearchraw", weu)
	// Left behind: a decommissioned VM took its system-assigned identity with it, but not the identity's role
	// assignment on the raw data.
	decommissionedVM := b.deletedPrincipal(data.PrincipalServicePrincipal, "vm-research-ingest-01")
	b.azureRole(decommissionedVM, data.PrincipalServicePrincipal, roleStorageBlobDataContributor, rawData)
	ingest := b.systemAssignedOn(dataRG, "Microsoft.DataFactory/factories", "adf-research-ingest", weu)
	b.identityRole(ingest, roleContributor, dataRG)
	b.identityRole(ingest, roleStorageBlobDataOwner, rawData)

	mailIntake := b.systemAssignedOn(limsRG, "Microsoft.Logic/workflows", "logic-sample-mail-intake", weu)
	b.appRole(mailIntake.ID, graph, permMailRead)

	archiver := b.systemAssignedOn(dataRG, "Microsoft.Web/sites", "func-sharepoint-archiver", weu)
	b.appRole(archiver.ID, graph, permSitesReadAll)
	b.appRole(archiver.ID, graph, permFilesReadAll)

	analyzer := b.systemAssignedOn(labRG, "Microsoft.Compute/virtualMachines", "vm-lab-analyzer-01", weu)
	b.identityRole(analyzer, roleStorageBlobDataContributor, rawData)
	// The second analyser was deleted; its service principal is still in Entra with its role assignment.
	staleAnalyzer := b.staleSystemAssigned(labRG, "Microsoft.Compute/virtualMachines", "vm-lab-analyzer-02")
	b.identityRole(staleAnalyzer, roleStorageBlobDataContributor, rawData)

	// Manufacturing production: the manufacturing execution system and its integrations.
	mesRG := rg(manufacturing, "rg-mes-prod")
	mesIntRG := rg(manufacturing, "rg-mes-integration")
	mesIDRG := rg(manufacturing, "rg-mes-identity")
	b.azureRole(formerContractor, data.PrincipalUser, roleContributor, mesIntRG)
	b.azureRole(formerContractor, data.PrincipalUser, roleReader, "/subscriptions/"+manufacturing)

	release := b.userAssigned(mesIDRG, "id-pipeline-release", neu)
	b.attach(b.resource(mesIDRG, "Microsoft.ContainerInstance/containerGroups", "aci-mes-deploy-agent", neu), release)
	b.identityRole(release, roleContributor, "/subscriptions/"+manufacturing)
	b.fic(release, "github-mes-platform-pr", issuerGitHub, "repo:contoso-pharma/mes-platform:pull_request")
	b.fic(release, "github-mes-platform-production", issuerGitHub, "repo:contoso-pharma/mes-platform:environment:production")
	b.azureRole(legacyDeployer, data.PrincipalServicePrincipal, roleManagedIdentityContributor, mesIDRG)

	historian := b.systemAssignedOn(mesRG, "Microsoft.Compute/virtualMachines", "vm-mes-historian-01", neu)
	b.identityRole(historian, roleReader, mesRG)

	mesVault := b.resource(mesRG, "Microsoft.KeyVault/vaults", "kv-mes-prod", neu)
	dashboard := b.systemAssignedOn(mesRG, "Microsoft.Web/sites", "app-mes-dashboard", neu)
	b.identityRole(dashboard, roleKeyVaultSecretsUser, mesVault)

	orderSync := b.systemAssignedOn(mesIntRG, "Microsoft.Logic/workflows", "logic-mes-order-sync", neu)
	b.identityRole(orderSync, roleServiceBusDataSender,
		b.resource(mesIntRG, "Microsoft.ServiceBus/namespaces", "sb-mes-orders", neu))

	telemetry := b.systemAssignedOn(mesRG, "Microsoft.Web/sites", "func-mes-telemetry", neu)
	b.identityRole(telemetry, roleStorageQueueDataContributor,
		b.resource(mesRG, "Microsoft.Storage/storageAccounts", "stmestelemetry", neu))

	legacySync := b.systemAssignedOn(mesIntRG, "Microsoft.Logic/workflows", "logic-legacy-erp-sync", neu)
	b.identityRole(legacySync, roleRetired, mesIntRG)

	partner := b.userAssigned(mesIntRG, "id-partner-integration", neu)
	b.attach(b.resource(mesIntRG, "Microsoft.Logic/workflows", "logic-partner-edi", neu), partner)
	b.fic(partner, "acme-logistics-edi", "https://idp.acme-logistics.example/oidc", "mes-edi-connector")
	// The partner's own managed identity, in the partner's tenant, is trusted too.
	b.fic(partner, "acme-logistics-tenant", "https://login.microsoftonline.com/"+guid("tenant", "acme-logistics")+"/v2.0",
		guid("sp", "acme-logistics", "edi-gateway"))
	b.identityRole(partner, roleStorageBlobDataReader,
		b.resource(mesIntRG, "Microsoft.Storage/storageAccounts", "stmesedi", neu))

	sapGateway := b.resource(mesIntRG, "Microsoft.Compute/virtualMachines", "vm-sap-gw-01", neu)

	// Commercial online: the patient and HCP portals and CRM integration.
	portalRG := rg(commercial, "rg-portal-prod")
	sharedRG := rg(commercial, "rg-portal-shared")
	crmRG := rg(commercial, "rg-crm-integration")
	portalVault := b.resource(portalRG, "Microsoft.KeyVault/vaults", "kv-portal-prod", eus2)
	portalStorage := b.resource(sharedRG, "Microsoft.Storage/storageAccounts", "stportalassets", eus2)

	patientPortal := b.systemAssignedOn(portalRG, "Microsoft.Web/sites", "app-patient-portal", eus2)
	b.identityRole(patientPortal, roleKeyVaultSecretsUser, portalVault)
	hcpPortal := b.systemAssignedOn(portalRG, "Microsoft.Web/sites", "app-hcp-portal", eus2)
	b.identityRole(hcpPortal, roleKeyVaultSecretsUser, portalVault)
	notify := b.systemAssignedOn(portalRG, "Microsoft.Web/sites", "func-portal-notify", eus2)
	b.appRole(notify.ID, graph, permMailSend)
	partnerAPI := b.systemAssignedOn(sharedRG, "Microsoft.Web/sites", "app-partner-api", eus2)
	b.identityRole(partnerAPI, roleStorageBlobDataReader, portalStorage)
	crmSync := b.systemAssignedOn(crmRG, "Microsoft.App/containerApps", "ca-crm-sync", eus2)
	b.appRole(crmSync.ID, exchange, permExchangeFullAccess)
	// Keeps Entra groups in step with CRM teams. GroupMember.ReadWrite.All looks like "high, not tier 0", yet it
	// lets the identity join grp-platform-operators, whose Contributor on the platform subscription runs code as
	// identities that are tier 0: a path to Global Administrator.
	groupSync := b.systemAssignedOn(crmRG, "Microsoft.Web/sites", "func-crm-group-sync", eus2)
	b.appRole(groupSync.ID, graph, permGroupMemberRW)
	smokeTests := b.resource(portalRG, "Microsoft.App/jobs", "caj-portal-smoke-tests", eus2)
	intranet := b.resource(portalRG, "Microsoft.Web/sites", "app-intranet", eus2)

	webDeploy := b.userAssigned(portalRG, "id-web-prod-deploy", eus2)
	b.attach(smokeTests, webDeploy)
	b.identityRole(webDeploy, roleWebsiteContributor, portalRG)
	b.fic(webDeploy, "github-patient-portal-production", issuerGitHub,
		"repo:contoso-pharma/patient-portal:environment:production")
	b.fic(webDeploy, "terraform-portal-apply", "https://app.eu.terraform.io",
		"organization:contoso-pharma:project:commercial:workspace:patient-portal-prod:run_phase:apply")

	ciShared := b.userAssigned(sharedRG, "id-ci-shared", eus2)
	b.attach(smokeTests, ciShared)
	b.identityRole(ciShared, roleReader, sharedRG)
	b.flexibleFIC(ciShared, "github-any-contoso-repo", issuerGitHub, "claims['sub'] matches 'repo:contoso-pharma/*'")
	// Meant for the contoso-pharma-labs organisation too; it admits any owner whose name starts so.
	b.flexibleFIC(ciShared, "github-pharma-orgs-infra", issuerGitHub,
		"claims['sub'] matches 'repo:contoso-pharma*/infra:ref:refs/heads/main'")

	// One identity shared by everything that reads portal assets, across two subscriptions.
	commercialShared := b.userAssigned(sharedRG, "id-commercial-shared", eus2)
	b.identityRole(commercialShared, roleStorageBlobDataContributor, portalStorage)
	b.identityRole(commercialShared, roleKeyVaultSecretsUser, portalVault)

	// Sandbox.
	sandboxRG := rg(sandbox, "rg-sandbox-shared")
	mlRG := rg(sandbox, "rg-sandbox-ml")

	sandboxDemo := b.systemAssignedOn(sandboxRG, "Microsoft.Web/sites", "app-sandbox-demo", weu)
	b.identityRole(sandboxDemo, roleReader, sandboxRG)
	for _, r := range []string{patientPortal.ResourceID, hcpPortal.ResourceID, notify.ResourceID,
		partnerAPI.ResourceID, crmSync.ResourceID, sandboxDemo.ResourceID} {
		b.attach(r, commercialShared)
	}

	build := b.systemAssignedOn(sandboxRG, "Microsoft.Compute/virtualMachines", "vm-sandbox-build", weu)
	b.identityRole(build, roleReader, sandboxRG)
	sandboxDeployer := b.userAssigned(sandboxRG, "id-sandbox-deployer", weu)
	b.attach(build.ResourceID, sandboxDeployer)
	b.identityRole(sandboxDeployer, roleCustomDeploymentOperator, "/subscriptions/"+sandbox)
	b.azureRoleWithCondition(sandboxDeployer.ID, data.PrincipalServicePrincipal, roleRBACAdministrator, mlRG,
		"((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) OR "+
			"(@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals "+
			"{"+roleStorageBlobDataReader+", "+roleAcrPull+"}))")

	legacyBatch := b.userAssigned(sandboxRG, "id-legacy-batch", weu)
	b.identityRole(legacyBatch, roleStorageBlobDataContributor,
		b.resource(sandboxRG, "Microsoft.Storage/storageAccounts", "stsandboxbatch", weu))

	ml := b.systemAssignedOn(mlRG, "Microsoft.MachineLearningServices/workspaces", "mlw-sandbox-research", weu)
	b.identityRole(ml, roleStorageBlobDataReader, b.resource(mlRG, "Microsoft.Storage/storageAccounts", "stsandboxml", weu))
	b.identityRole(ml, roleAcrPull, b.resource(mlRG, "Microsoft.ContainerRegistry/registries", "acrsandboxml", weu))

	// Application service principals that still sign in with secrets or certificates.
	b.application("Contoso SAP Connector", []string{sapGateway},
		data.Credential{Type: "password", DisplayName: "sap-gw-2026",
			Start: date(2026, 2, 1), End: date(2027, 2, 1)})
	b.application("Legacy HR Sync", nil,
		data.Credential{Type: "password", DisplayName: "hr-sync",
			Start: date(2024, 5, 1), End: date(2026, 5, 1)})
	// The onboarding workflow created its team's group through Graph, which made the workflow's identity the group's
	// owner. The group was later given Contributor on the manufacturing subscription: as its owner the identity can
	// add itself to the group, a path to that subscription that none of its own roles shows.
	onboarding := b.systemAssignedOn(mesIntRG, "Microsoft.Logic/workflows", "logic-hr-onboarding", neu)
	b.identityRole(onboarding, roleReader, mesIntRG)
	hrContributors := b.principal(data.PrincipalGroup, "HR Platform Contributors")
	b.azureRole(hrContributors, data.PrincipalGroup, roleContributor, "/subscriptions/"+manufacturing)
	b.ownsGroup(onboarding, hrContributors, "HR Platform Contributors")
	// Creates app registrations for product teams through Graph, which made its identity the owner of each. One of
	// them was later granted Application.ReadWrite.All: as its owner the identity can add a secret to it and sign in
	// as it, a path to tier 0 that none of its own roles shows.
	appProvisioner := b.systemAssignedOn(mesIntRG, "Microsoft.Web/sites", "func-app-registration-provisioner", neu)
	b.identityRole(appProvisioner, roleReader, mesIntRG)
	connector := b.application("MES Partner Connector", nil,
		data.Credential{Type: "password", DisplayName: "partner-connector",
			Start: date(2026, 1, 10), End: date(2027, 1, 10)})
	b.appRole(connector, graph, permApplicationRW)
	b.ownsApplication(appProvisioner, "MES Partner Connector")
	b.application("Veeva Vault Integration", []string{partnerAPI.ResourceID},
		data.Credential{Type: "password", DisplayName: "veeva-prod",
			Start: date(2025, 1, 15), End: date(2028, 1, 15)})
	b.application("Contoso Intranet", []string{intranet},
		data.Credential{Type: "certificate", DisplayName: "CN=intranet.contoso-pharma.com",
			Start: date(2026, 3, 1), End: date(2027, 3, 1)})
	// A display name carrying terminal escape sequences: shown cleaned, exported neutralised.
	b.application("Payroll Export \x1b[31m(urgent)\x1b[0m", nil,
		data.Credential{Type: "password", DisplayName: "payroll",
			Start: date(2026, 9, 1), End: date(2027, 9, 1)},
		data.Credential{Type: "password", DisplayName: "payroll-old",
			Start: date(2025, 9, 1), End: date(2026, 9, 1)})

	// People who use an account as a service: a scheduler's account that holds Contributor and signs in only
	// from scripts, and a migration account with a directory role.
	backupScheduler := b.principal(data.PrincipalUser, "svc-backup-scheduler")
	b.azureRole(backupScheduler, data.PrincipalUser, roleContributor, backupRG)
	spMigration := b.principal(data.PrincipalUser, "svc-sharepoint-migration")
	b.directoryRole(spMigration, dirSharePointAdministrator, data.Active)
	b.azureRole(spMigration, data.PrincipalUser, roleStorageBlobDataContributor, portalStorage)

	// What each identity was seen to do in the 30 days before the read (days ago, sign-ins in the window). A sign-in
	// older than the window names no resource: only the last one is known (Graph's sign-in activity report).
	arm, kv, storage, sb := data.AzureResourceManagerAppID, data.AzureKeyVaultAppID, data.AzureStorageAppID,
		data.AzureServiceBusAppID
	b.signedIn(platformOps.ID, graph.appID, 0.2, 720)
	b.signedIn(platformOps.ID, arm, 1.5, 30)
	b.signedIn(entraHousekeeping.ID, graph.appID, 0.5, 60)
	b.signedIn(patching.ID, arm, 0.1, 2880)
	b.signedIn(platformDeploy.ID, arm, 0.4, 410)
	b.signedIn(lzVending.ID, arm, 2, 14)
	// Writes only role assignments in one resource group, yet holds User Access Administrator on the subscription.
	b.touched(lzVending.ID, rg(commercial, "rg-crm-integration"), 2, 9)
	b.signedIn(entraLifecycle.ID, graph.appID, 0.1, 4320)
	// id-appreg-automation was made for a migration that never ran: tier 0 Graph permissions, no sign-in at all.
	b.signedIn(governance.ID, graph.appID, 0.3, 1440)
	b.signedIn(graphReporting.ID, graph.appID, 0.9, 30)
	b.signedIn(costExport.ID, arm, 1, 30)
	b.signedIn(inventory.ID, "", 75, 0) // idle, but holds only Reader
	b.signedIn(backup.ID, arm, 0.5, 120)
	b.signedIn(backup.ID, storage, 0.5, 900)
	b.signedIn(financeReporting.ID, storage, 3, 12)
	// The jump box's Owner on the research subscription has been used on one machine only.
	b.signedIn(jumpbox.ID, arm, 6, 3)
	b.touched(jumpbox.ID, jumpbox.ResourceID, 6, 3)
	b.signedIn(aks.ID, arm, 0.01, 9000)
	b.touched(aks.ID, vnet, 0.5, 40)
	b.signedIn(kubelet.ID, arm, 0.01, 20000)
	b.signedIn(omsagent.ID, arm, 0.01, 8000)
	b.signedIn(limsAPI.ID, kv, 0.02, 5000)
	// id-lims-workload was meant to replace ca-lims-api's own identity; the switch never happened.
	b.signedIn(sql.ID, kv, 0.1, 700)
	// The factory reads and writes the raw data but has never called Azure Resource Manager: its Contributor on
	// the resource group is unused.
	b.signedIn(ingest.ID, storage, 0.2, 3100)
	b.signedIn(mailIntake.ID, graph.appID, 0.01, 8600)
	b.signedIn(archiver.ID, "", 52, 0) // idle since the archive project paused
	b.signedIn(analyzer.ID, storage, 0.7, 240)
	// The release pipeline's Contributor on the manufacturing subscription deploys three resources of one group.
	b.signedIn(release.ID, arm, 1, 64)
	for _, r := range []string{dashboard.ResourceID, telemetry.ResourceID,
		mesRG + "/providers/Microsoft.Storage/storageAccounts/stmestelemetry"} {
		b.touched(release.ID, r, 1, 20)
	}
	b.signedIn(historian.ID, arm, 0.2, 1400)
	b.signedIn(dashboard.ID, kv, 0.05, 2900)
	b.signedIn(orderSync.ID, sb, 0.01, 30000)
	b.signedIn(telemetry.ID, storage, 0.01, 50000)
	b.signedIn(legacySync.ID, "", 200, 0)
	b.signedIn(partner.ID, storage, 4, 20)
	b.signedIn(patientPortal.ID, kv, 0.1, 1800)
	b.signedIn(hcpPortal.ID, kv, 0.1, 1700)
	b.signedIn(notify.ID, graph.appID, 0.02, 7000)
	b.signedIn(partnerAPI.ID, storage, 0.3, 600)
	b.signedIn(crmSync.ID, exchangeOnlineResource, 0.05, 2600)
	b.signedIn(groupSync.ID, graph.appID, 0.1, 1400)
	b.signedIn(webDeploy.ID, arm, 3, 11)
	b.signedIn(ciShared.ID, arm, 0.5, 300)
	b.signedIn(commercialShared.ID, storage, 0.01, 40000)
	b.signedIn(commercialShared.ID, kv, 0.01, 12000)
	b.signedIn(sandboxDemo.ID, arm, 12, 2)
	b.signedIn(sandboxDeployer.ID, arm, 8, 5)
	// id-legacy-batch's job was retired last year; its identity and role stayed.
	b.signedIn(ml.ID, storage, 1, 90)
	b.signedIn(ml.ID, arm, 1, 90)
	b.signedIn(onboarding.ID, arm, 2, 40)
	b.signedIn(appProvisioner.ID, graph.appID, 5, 6)

	b.signedIn(guid("appsp", "Contoso SAP Connector"), graph.appID, 0.01, 8000)
	b.signedIn(guid("appsp", "MES Partner Connector"), graph.appID, 1, 30)
	b.signedIn(guid("appsp", "Contoso Intranet"), graph.appID, 0.2, 700)
	b.signedIn(guid("appsp", "Payroll Export \x1b[31m(urgent)\x1b[0m"), graph.appID, 9, 4)
	// Veeva Vault Integration and Legacy HR Sync have not signed in for the window.

	b.user(dana, "dana.whitfield@contosopharma.example", 0.5, 0.2, boolPtr(false), boolPtr(true))
	b.user(marcus, "marcus.ortega@contosopharma.example", 2, 1, boolPtr(false), boolPtr(true))
	b.user(priya, "priya.raman@contosopharma.example", 1, 0.3, boolPtr(false), boolPtr(true))
	b.user(backupScheduler, "svc-backup-scheduler@contosopharma.example", -1, 0.04, boolPtr(true), boolPtr(false))
	b.user(spMigration, "svc-sharepoint-migration@contosopharma.example", 400, 0.3, boolPtr(true), nil)
	return t
}

// azureRoleWithCondition assigns an Azure role constrained by an ABAC condition.
func (b *builder) azureRoleWithCondition(principalID string, typ data.PrincipalType, roleID, scope, condition string) {
	b.azureRole(principalID, typ, roleID, scope)
	b.t.RoleAssignments[len(b.t.RoleAssignments)-1].Condition = condition
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
