<#
.SYNOPSIS
    Exports every table invlint reads from a Lync Server 2010/2013 or Skype for Business Server
    2015/2019/SE deployment, into one dated folder.

.DESCRIPTION
    Run it in the Lync Server / Skype for Business Server Management Shell (Windows PowerShell
    5.1; 3.0 at least) on a Front End, as a member of CsAdministrator or
    CsViewOnlyAdministrator. The cmdlets see the whole topology: for Lync Server 2010 pools
    (PowerShell 2.0), run it on a Lync Server 2013 or later Front End of the same topology.
    For the `online-users` table, also load the MicrosoftTeams module and run
    Connect-MicrosoftTeams first; for `registrations`, the account needs read access to each
    Front End's RTCLOCAL SQL instance.

    Each table kind declared in invlint's rules/lync/tables.toml is written to `<kind>.csv`
    with Export-Csv -NoTypeInformation -Encoding UTF8. The columns invlint declares come first;
    every other property the cmdlet writes follows, so that later rules and a human reader still
    have it. Multi-valued properties are joined with '; ' (Export-Csv would otherwise write a
    .NET type name such as System.Object[], which invlint reports as CSV002).

    A table whose cmdlet is missing (Persistent Chat cmdlets on Skype for Business Server 2019),
    or that fails (no online session, a SQL instance out of reach), is skipped with a warning;
    the other tables are still exported. A summary lists every table at the end.

    Then: invlint check <the folder>

.PARAMETER OutputFolder
    The folder under which the dated export folder (invlint-export-yyyyMMdd-HHmm) is created.
    Default: the current directory.

.PARAMETER SkipOnline
    Do not export Get-CsOnlineUser (online-users.csv), even when the Teams module is loaded.

.PARAMETER SkipRegistrations
    Do not query the Front Ends' rtcdyn databases for client registrations (registrations.csv).

.EXAMPLE
    .\Export-Inventory.ps1 -OutputFolder C:\exports
    Writes C:\exports\invlint-export-20250301-0930\users.csv, services.csv, pools.csv, ...

.NOTES
    Part of invlint (scripts/Export-Inventory.ps1). tests/export_script.rs checks it against
    the table declarations: one Export-Table per table kind, columns that satisfy each kind's
    header signature, multi-valued columns joined.
#>
#Requires -Version 3.0
[CmdletBinding()]
param(
    [string] $OutputFolder = (Get-Location).Path,
    [switch] $SkipOnline,
    [switch] $SkipRegistrations
)

# One folder per run: a second run never overwrites or mixes with the first one's files.
$ExportFolder = Join-Path $OutputFolder ('invlint-export-{0:yyyyMMdd-HHmm}' -f (Get-Date))
New-Item -ItemType Directory -Path $ExportFolder -Force | Out-Null

# One line per table, printed at the end.
$Summary = New-Object System.Collections.Generic.List[object]

function Add-Summary {
    param([string] $Kind, [string] $Status, [int] $Rows, [string] $Detail)
    $Summary.Add([pscustomobject]@{ Table = $Kind; Status = $Status; Rows = $Rows; Detail = $Detail })
}

function New-JoinedProperty {
    <# A calculated property that writes the collection $Name as one cell, items joined with '; '. #>
    param([Parameter(Mandatory)] [string] $Name)
    $quoted = "'" + ($Name -replace "'", "''") + "'"
    @{ Name = $Name; Expression = [scriptblock]::Create("`$_.$quoted -join '; '") }
}

function Get-ColumnName {
    <# The name of a column given as a property name or as a calculated property. #>
    param([Parameter(Mandatory)] $Column)
    if ($Column -is [hashtable]) {
        foreach ($key in 'n', 'Name', 'l', 'Label') {
            if ($Column.ContainsKey($key)) { return [string]$Column[$key] }
        }
    }
    [string]$Column
}

function Get-ExportProperty {
    <#
    The Select-Object properties of one table: the declared columns the objects have (in the
    declared order; a column the cmdlet does not write is left out rather than written empty,
    since an empty cell means something to rules, e.g. an empty HostingProvider is on-premises),
    then every other property, collections joined.
    #>
    param([object[]] $Rows, [object[]] $Columns, [switch] $ColumnsOnly)

    # Property names of one object of each .NET type: Get-CsService returns one type per role,
    # and Export-Csv alone would keep only the first object's columns.
    $available = [ordered]@{}
    $seenTypes = @{}
    foreach ($row in $Rows) {
        $type = $row.PSObject.TypeNames[0]
        if ($seenTypes.ContainsKey($type)) { continue }
        $seenTypes[$type] = $true
        foreach ($property in $row.PSObject.Properties) {
            if (-not $available.Contains($property.Name)) { $available[$property.Name] = $property }
        }
    }

    $selected = New-Object System.Collections.Generic.List[object]
    $taken = @{}   # case-insensitive, like PowerShell property names
    foreach ($column in $Columns) {
        $name = Get-ColumnName $column
        $taken[$name] = $true
        if ($available.Contains($name)) { $selected.Add($column) }
        else { Write-Verbose "the objects have no property ${name}: column left out" }
    }
    if ($ColumnsOnly) { return , $selected.ToArray() }

    foreach ($name in $available.Keys) {
        if ($taken.ContainsKey($name)) { continue }
        $property = $available[$name]
        $value = $property.Value
        $isCollection = ($value -is [System.Collections.IEnumerable] -and $value -isnot [string]) -or
            ($property.TypeNameOfValue -match '\[\]$|Collection|List`|MultiValued')
        if ($isCollection) {
            $selected.Add((New-JoinedProperty -Name $name))
        }
        elseif ($null -ne $value -and $value -isnot [ValueType] -and $value -isnot [string] -and
            $value.ToString() -eq $value.GetType().FullName) {
            # A nested settings object whose text is only its type name: no data to export.
            Write-Verbose "property $name holds a $($value.GetType().Name): left out"
        }
        else {
            $selected.Add($name)
        }
    }
    , $selected.ToArray()
}

function Export-Table {
    <#
    .SYNOPSIS
        Runs one command and writes its objects to <kind>.csv in the export folder.
    .PARAMETER Kind
        The table kind of rules/lync/tables.toml (also the file name).
    .PARAMETER Command
        The command that returns the objects.
    .PARAMETER Columns
        The columns invlint declares for the kind, as property names, or as calculated
        properties that join a multi-valued property with '; '.
    .PARAMETER ColumnsOnly
        Write only -Columns (for objects whose other properties are nested settings objects).
    .PARAMETER KeepTypeLine
        Keep Export-Csv's #TYPE line: it is what tells meeting rooms from users, whose columns
        they share.
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] [string] $Kind,
        [Parameter(Mandatory)] [scriptblock] $Command,
        [Parameter(Mandatory)] [object[]] $Columns,
        [switch] $ColumnsOnly,
        [switch] $KeepTypeLine
    )
    $path = Join-Path $ExportFolder "$Kind.csv"
    # Any error of the command stops this table only (caught below), never the whole export.
    $ErrorActionPreference = 'Stop'
    Write-Progress -Activity 'Exporting the inventory for invlint' -Status $Kind
    try {
        # Collected first: the header must list the properties of every object type.
        $rows = @(& $Command)
        if ($rows.Count -eq 0) {
            # A header without rows: the table was exported and is empty, which rules can tell
            # from a table that was never exported.
            $header = [ordered]@{}
            foreach ($column in $Columns) { $header[(Get-ColumnName $column)] = $null }
            [pscustomobject]$header | ConvertTo-Csv -NoTypeInformation | Select-Object -First 1 |
                Set-Content -LiteralPath $path -Encoding UTF8
        }
        else {
            $properties = Get-ExportProperty -Rows $rows -Columns $Columns -ColumnsOnly:$ColumnsOnly
            $rows | Select-Object -Property $properties |
                Export-Csv -LiteralPath $path -NoTypeInformation:(-not $KeepTypeLine) -Encoding UTF8
        }
        Add-Summary -Kind $Kind -Status 'written' -Rows $rows.Count -Detail "$Kind.csv"
    }
    catch [System.Management.Automation.CommandNotFoundException] {
        $missing = $_.Exception.CommandName
        Write-Warning "${Kind}: skipped, $missing is not available on this server"
        Add-Summary -Kind $Kind -Status 'skipped' -Detail "$missing not available"
    }
    catch {
        Write-Warning "${Kind}: skipped, $($_.Exception.Message)"
        Add-Summary -Kind $Kind -Status 'failed' -Detail $_.Exception.Message
    }
}

function Skip-Table {
    <# Records a table left out on purpose (a -Skip switch, a missing module). #>
    param([Parameter(Mandatory)] [string] $Kind, [Parameter(Mandatory)] [string] $Reason)
    Write-Warning "${Kind}: skipped, $Reason"
    Add-Summary -Kind $Kind -Status 'skipped' -Detail $Reason
}

function Get-RtcdynRegistration {
    <#
    Best effort: the live client registrations of every Front End of every Registrar pool, read
    from the front end's local RTCLOCAL SQL instance (database rtcdyn), as community scripts such
    as argiesen/Skype4B Get-CsRegistration.ps1 do. The schema is undocumented; on Lync Server
    2010 registrations may live in the pool's back end instead. Alternative: the Monitoring
    database's LcsCDR Registration view (UserUri, ClientVersion, RegisterTime), which invlint
    reads too but which also holds past registrations.
    A front end that cannot be reached is reported and skipped; the others are still read.
    #>
    # Registrar pools (Lync Server 2010 is Version 5) and their front ends. SBAs are Registrars
    # too; their SQL instance is usually out of reach and is reported as such.
    $registrars = @(Get-CsService -Registrar | Where-Object { [int]$_.Version -ge 5 })
    $frontEnds = foreach ($registrar in $registrars) {
        try { (Get-CsPool -Identity $registrar.PoolFqdn).Computers }
        catch { Write-Warning "registrations: pool $($registrar.PoolFqdn) skipped, $($_.Exception.Message)" }
    }

    # One row per registered endpoint: the SIP user, the whole user agent (ClientApp, e.g.
    # "UCCAPI/16.0.… OC/16.0.… (Skype for Business)"), its expiry. ClientApp is cast to
    # varchar as the community scripts do (its bytes are ASCII text; nvarchar would misread
    # them if the column is binary).
    $query = @'
SELECT R.UserAtHost                          AS UserName,
       CAST(RE.ClientApp AS varchar(512))    AS UserAgent,
       RE.EndpointId                         AS EndpointId,
       EP.ExpiresAt                          AS ExpiresAt
FROM rtcdyn.dbo.RegistrarEndpoint AS RE
INNER JOIN rtc.dbo.Resource AS R ON R.ResourceId = RE.OwnerId
INNER JOIN rtcdyn.dbo.Endpoint AS EP ON EP.EndpointId = RE.EndpointId
'@

    $read = 0
    $frontEnds = @($frontEnds | Sort-Object -Unique)
    foreach ($frontEnd in $frontEnds) {
        $connection = New-Object System.Data.SqlClient.SqlConnection
        $connection.ConnectionString =
            "Server=$frontEnd\RTCLOCAL;Database=rtcdyn;Integrated Security=SSPI;Connect Timeout=15"
        try {
            $connection.Open()
            $sql = $connection.CreateCommand()
            $sql.CommandText = $query
            $reader = $sql.ExecuteReader()
            while ($reader.Read()) {
                [pscustomobject]@{
                    UserName   = [string]$reader['UserName']
                    UserAgent  = [string]$reader['UserAgent']
                    Server     = [string]$frontEnd
                    EndpointId = [string]$reader['EndpointId']
                    ExpiresAt  = [string]$reader['ExpiresAt']
                }
            }
            $reader.Close()
            $read++
        }
        catch {
            Write-Warning "registrations: $frontEnd skipped, $($_.Exception.Message)"
        }
        finally {
            $connection.Dispose()
        }
    }
    # No front end read is no data, not "no registrations": no file rather than an empty one.
    if ($frontEnds.Count -gt 0 -and $read -eq 0) {
        throw "no front end's rtcdyn database could be read"
    }
}

Write-Host "Exporting to $ExportFolder"

# ---- Users and accounts -------------------------------------------------------------------

Export-Table -Kind 'users' -Command { Get-CsUser -ResultSize Unlimited } -Columns @(
    'Identity', 'Guid', 'DisplayName', 'SipAddress', 'UserPrincipalName', 'SamAccountName',
    'Enabled', 'RegistrarPool', 'HostingProvider', 'EnterpriseVoiceEnabled', 'LineURI',
    'AudioVideoDisabled', 'RemoteCallControlTelephonyEnabled', 'IPPBXSoftPhoneRoutingEnabled',
    'PersistentChatPolicy', 'ClientPolicy', 'ClientVersionPolicy', 'VoicePolicy',
    'EnabledForFederation', 'EnabledForInternetAccess', 'HomeServer', 'TargetRegistrarPool',
    'WhenCreated', 'WhenChanged'
)

Export-Table -Kind 'ad-users' -Command { Get-CsAdUser -ResultSize Unlimited } -Columns @(
    'Identity', 'Guid', 'SamAccountName', 'UserPrincipalName', 'DisplayName', 'FirstName',
    'LastName', 'WindowsEmailAddress', 'SipAddress', 'Enabled', 'Department', 'Title', 'Company',
    'Office', 'Phone', 'City', 'StateOrProvince', 'CountryOrRegion', 'DistinguishedName',
    'WhenChanged', 'WhenCreated'
)

# Get-CsOnlineUser comes from the MicrosoftTeams module (after Connect-MicrosoftTeams), not
# from the Management Shell: exported only when that cmdlet is loaded.
if ($SkipOnline) {
    Skip-Table -Kind 'online-users' -Reason '-SkipOnline'
}
elseif (-not (Get-Command Get-CsOnlineUser -ErrorAction SilentlyContinue)) {
    Skip-Table -Kind 'online-users' -Reason ('Get-CsOnlineUser not loaded ' +
        '(Import-Module MicrosoftTeams; Connect-MicrosoftTeams)')
}
else {
    Export-Table -Kind 'online-users' -Command { Get-CsOnlineUser -ErrorAction Stop } -Columns @(
        'Identity', 'Guid', 'UserPrincipalName', 'SipAddress', 'DisplayName', 'AccountEnabled',
        'IsSipEnabled', 'InterpretedUserType',
        @{ n = 'FeatureTypes'; e = { $_.FeatureTypes -join '; ' } },
        'TeamsUpgradeEffectiveMode', 'TeamsUpgradePolicy', 'HostingProvider',
        'OnPremHostingProvider', 'RegistrarPool', 'LineURI', 'OnPremLineURI',
        'EnterpriseVoiceEnabled', 'UsageLocation', 'Department', 'TenantId', 'WhenChanged',
        'WhenCreated'
    )
}

# ---- Topology ------------------------------------------------------------------------------

# Every role in one file. invlint reads its Registrar:, PersistentChatServer:, UserServer:,
# ApplicationServer:, EdgeServer:, MediationServer: and TrustedApplicationPool: rows as the
# views registrars, chat-services, user-servers, application-servers, edge-servers,
# mediation-servers and trusted-application-pools: no export of their own is needed.
Export-Table -Kind 'services' -Command { Get-CsService } -Columns @(
    'Identity', 'Role', 'ServiceId', 'SiteId', 'PoolFqdn', 'Version', 'Registrar', 'UserServer',
    'WebServer', 'MediationServer', 'EdgeServer', 'BackupPoolFqdn', 'PersistentChatDatabase',
    'FileStore', 'ExternalFqdn',
    @{ n = 'DependentServiceList'; e = { $_.DependentServiceList -join '; ' } }
)

Export-Table -Kind 'pools' -Command { Get-CsPool } -Columns @(
    'Identity', 'Fqdn',
    @{ n = 'Services'; e = { $_.Services -join '; ' } },
    @{ n = 'Computers'; e = { $_.Computers -join '; ' } },
    'Site', 'BackupPoolFqdn'
)

Export-Table -Kind 'sites' -Command { Get-CsSite } -Columns @(
    'Identity', 'SiteId',
    @{ n = 'Services'; e = { $_.Services -join '; ' } },
    @{ n = 'Pools'; e = { $_.Pools -join '; ' } },
    'FederationRoute', 'XmppFederationRoute', 'DefaultPersistentChatPool', 'Description',
    'DisplayName', 'City', 'State', 'CountryCode', 'SiteType', 'Kind', 'ParentSite'
)

Export-Table -Kind 'trusted-applications' -Command { Get-CsTrustedApplication } -Columns @(
    'Identity', 'ApplicationId', 'TrustedApplicationPoolFqdn', 'Port', 'LegacyApplicationName',
    'ServiceGruu', 'Protocol', 'EnableTcpGruu'
)

Export-Table -Kind 'trusted-application-endpoints' -Command { Get-CsTrustedApplicationEndpoint } -Columns @(
    'Identity', 'SipAddress', 'DisplayName', 'DisplayNumber', 'LineURI', 'OwnerUrn',
    'RegistrarPool', 'HomeServer', 'Enabled', 'EnterpriseVoiceEnabled', 'ExUmEnabled',
    'Description'
)

# ---- Objects homed on pools (what blocks a decommission) -----------------------------------

Export-Table -Kind 'common-area-phones' -Command { Get-CsCommonAreaPhone } -Columns @(
    'Identity', 'RegistrarPool', 'Enabled', 'SipAddress', 'ClientPolicy', 'PinPolicy',
    'VoicePolicy', 'MobilityPolicy', 'ConferencingPolicy', 'DialPlan', 'LocationPolicy',
    'LineURI', 'DisplayNumber', 'DisplayName', 'Description', 'ExUmEnabled', 'HomeServer'
)

Export-Table -Kind 'analog-devices' -Command { Get-CsAnalogDevice } -Columns @(
    'Identity', 'RegistrarPool', 'Enabled', 'SipAddress', 'VoicePolicy', 'DialPlan',
    'LocationPolicy', 'LineURI', 'DisplayNumber', 'DisplayName', 'Description', 'Gateway',
    'AnalogFax', 'ExUmEnabled', 'HomeServer'
)

# A meeting room's columns are a user account's: its #TYPE line is what tells it apart.
Export-Table -Kind 'meeting-rooms' -Command { Get-CsMeetingRoom } -Columns @(
    'Identity', 'SipAddress', 'RegistrarPool', 'DisplayName', 'Enabled', 'LineURI',
    'EnterpriseVoiceEnabled', 'HostingProvider', 'UserPrincipalName', 'HomeServer'
) -KeepTypeLine

Export-Table -Kind 'exum-contacts' -Command { Get-CsExUmContact } -Columns @(
    'Identity', 'SipAddress', 'RegistrarPool', 'DisplayName', 'DisplayNumber', 'LineURI',
    'AutoAttendant', 'IsSubscriberAccess', 'Description', 'Enabled', 'HomeServer'
)

# A workflow's other properties (actions, queues, business hours) are nested objects that
# Export-Csv cannot write: the declared columns only.
Export-Table -Kind 'rgs-workflows' -Command { Get-CsRgsWorkflow } -Columns @(
    'Identity', 'Name', 'Description', 'PrimaryUri', 'LineUri', 'DisplayNumber', 'Active',
    'Anonymous', 'Managed',
    @{ n = 'ManagersByUri'; e = { $_.ManagersByUri -join '; ' } },
    'Language', 'TimeZone', 'EnabledForFederation', 'OwnerPool'
) -ColumnsOnly

Export-Table -Kind 'dialin-access-numbers' -Command { Get-CsDialInConferencingAccessNumber } -Columns @(
    'Identity', 'PrimaryUri', 'DisplayName', 'DisplayNumber', 'LineUri', 'PrimaryLanguage',
    @{ n = 'SecondaryLanguages'; e = { $_.SecondaryLanguages -join '; ' } },
    'Pool', 'HostingProvider',
    @{ n = 'Regions'; e = { $_.Regions -join '; ' } }
)

Export-Table -Kind 'conference-directories' -Command { Get-CsConferenceDirectory } -Columns @(
    'Identity', 'ServiceId'
)

# ---- Persistent Chat (Lync Server 2013, Skype for Business Server 2015; the cmdlets are gone
# from 2019 and are then reported as skipped) -------------------------------------------------

Export-Table -Kind 'chat-policies' -Command { Get-CsPersistentChatPolicy } -Columns @(
    'Identity', 'Description', 'EnablePersistentChat'
)

Export-Table -Kind 'chat-rooms' -Command { Get-CsPersistentChatRoom } -Columns @(
    'Identity', 'Name', 'Description', 'Category', 'PersistentChatPoolFqdn', 'Type', 'Privacy',
    'Invitations', 'Addin', 'Disabled',
    @{ n = 'Members'; e = { $_.Members -join '; ' } },
    @{ n = 'Managers'; e = { $_.Managers -join '; ' } },
    @{ n = 'Presenters'; e = { $_.Presenters -join '; ' } }
)

Export-Table -Kind 'chat-categories' -Command { Get-CsPersistentChatCategory } -Columns @(
    'Identity', 'Name', 'Description', 'PersistentChatPoolFqdn',
    @{ n = 'AllowedMembers'; e = { $_.AllowedMembers -join '; ' } },
    @{ n = 'DeniedMembers'; e = { $_.DeniedMembers -join '; ' } },
    @{ n = 'Creators'; e = { $_.Creators -join '; ' } },
    'Invitations', 'FileUpload', 'ChatHistory'
)

Export-Table -Kind 'chat-addins' -Command { Get-CsPersistentChatAddin } -Columns @(
    'Identity', 'Name', 'PersistentChatPoolFqdn', 'Url'
)

Export-Table -Kind 'chat-endpoints' -Command { Get-CsPersistentChatEndpoint } -Columns @(
    'Identity', 'SipAddress', 'DisplayName', 'PersistentChatPoolFqdn'
)

# ---- Per-user policies (the names users hold must exist: the policies packs) ----------------

Export-Table -Kind 'voice-policies' -Command { Get-CsVoicePolicy } -Columns @(
    'Identity', 'Description',
    @{ n = 'PstnUsages'; e = { $_.PstnUsages -join '; ' } },
    'AllowSimulRing', 'AllowCallForwarding', 'AllowPSTNReRouting', 'EnableDelegation',
    'EnableTeamCall', 'EnableCallTransfer', 'EnableCallPark', 'PreventPSTNTollBypass'
)

Export-Table -Kind 'dial-plans' -Command { Get-CsDialPlan } -Columns @(
    'Identity', 'Description', 'DialinConferencingRegion',
    @{ n = 'NormalizationRules'; e = { $_.NormalizationRules.Name -join '; ' } },
    'ExternalAccessPrefix', 'OptimizeDeviceDialing', 'SimpleName', 'CountryCode', 'State', 'City'
)

Export-Table -Kind 'conferencing-policies' -Command { Get-CsConferencingPolicy } -Columns @(
    'Identity', 'Description', 'MaxMeetingSize', 'EnableDialInConferencing', 'AllowIPAudio',
    'AllowIPVideo', 'AllowAnonymousParticipantsInMeetings'
)

Export-Table -Kind 'client-policies' -Command { Get-CsClientPolicy } -Columns @(
    'Identity', 'Description', 'MaximumNumberOfContacts', 'DisableEmoticons',
    'EnableAppearOffline', 'EnableSkypeUI'
)

Export-Table -Kind 'external-access-policies' -Command { Get-CsExternalAccessPolicy } -Columns @(
    'Identity', 'Description', 'EnableFederationAccess', 'EnablePublicCloudAccess',
    'EnableOutsideAccess', 'EnableXmppAccess'
)

Export-Table -Kind 'mobility-policies' -Command { Get-CsMobilityPolicy } -Columns @(
    'Identity', 'Description', 'EnableMobility', 'EnableOutsideVoice', 'EnableIPAudioVideo',
    'RequireWIFIForIPAudio', 'RequireWIFIForIPVideo'
)

# ---- Clients -------------------------------------------------------------------------------

if ($SkipRegistrations) {
    Skip-Table -Kind 'registrations' -Reason '-SkipRegistrations'
}
else {
    Export-Table -Kind 'registrations' -Command { Get-RtcdynRegistration } -Columns @(
        'UserName', 'UserAgent', 'Server', 'EndpointId', 'ExpiresAt'
    )
}

Write-Progress -Activity 'Exporting the inventory for invlint' -Completed

# ---- Summary -------------------------------------------------------------------------------

$Summary | Format-Table -AutoSize -Property Table, Status, Rows, Detail | Out-String -Width 200 | Write-Host
$failed = @($Summary | Where-Object { $_.Status -ne 'written' }).Count
Write-Host ('{0} tables written, {1} skipped or failed, in {2}' -f
    ($Summary.Count - $failed), $failed, $ExportFolder)
Write-Host "Next: invlint check `"$ExportFolder`""
