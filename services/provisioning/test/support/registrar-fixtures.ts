// Answers shaped like the registrars' real ones (shared/reference/providers.md §3).

/** Namecheap's envelope around a command response (errors come with HTTP 200). */
export const ncResponse = (
  command: string,
  inner: string,
  errors: [string, string][] = [],
  status?: 'OK' | 'ERROR',
) =>
  `<?xml version="1.0" encoding="utf-8"?>
<ApiResponse Status="${status ?? (errors.length ? 'ERROR' : 'OK')}" xmlns="http://api.namecheap.com/xml.response">
  <Errors>${errors.map(([n, m]) => `<Error Number="${n}">${m}</Error>`).join('')}</Errors>
  <Warnings />
  <RequestedCommand>${command}</RequestedCommand>
  ${inner ? `<CommandResponse Type="${command}">${inner}</CommandResponse>` : ''}
  <Server>PHX01SBAPIEXT05</Server>
  <GMTTimeDifference>--4:00</GMTTimeDifference>
  <ExecutionTime>0.012</ExecutionTime>
</ApiResponse>`;

export const ncGetInfo = (domain: string, expired = '11/30/2027') =>
  `<DomainGetInfoResult Status="Ok" ID="57582" DomainName="${domain}" OwnerName="apiuser" IsOwner="true" IsPremium="false">
    <DomainDetails><CreatedDate>11/30/2026</CreatedDate><ExpiredDate>${expired}</ExpiredDate><NumYears>0</NumYears></DomainDetails>
    <LockDetails />
    <Whoisguard Enabled="True"><ID>53536</ID><ExpiredDate>11/30/2027</ExpiredDate><EmailDetails WhoisGuardEmail="x@whoisguard.com" ForwardedTo="ada@example.com" /></Whoisguard>
    <PremiumDnsSubscription><UseAutoRenew>false</UseAutoRenew></PremiumDnsSubscription>
    <DnsDetails ProviderType="CUSTOM" IsUsingOurDNS="false" HostCount="0" EmailType="" DynamicDNSStatus="false" IsFailover="false">
      <Nameserver>ns1.acme-hosting.test</Nameserver><Nameserver>ns2.acme-hosting.test</Nameserver>
    </DnsDetails>
    <Modificationrights All="true" />
  </DomainGetInfoResult>`;

/** LogicBoxes' action hash (register, renew, transfer, modify-ns …). */
export const lbAction = (
  entityid: string,
  actiontype: string,
  actionstatus = 'Success',
  actionstatusdesc = '',
) => ({
  actiontypedesc: `${actiontype} of domain`,
  entityid,
  actionstatus,
  status: actionstatus,
  eaqid: '512334562',
  currentaction: '512334562',
  description: 'ada-example.com',
  actiontype,
  actionstatusdesc: actionstatusdesc || `${actiontype} completed Successfully`,
  invoiceid: '0',
  sellingcurrencysymbol: 'USD',
  sellingamount: '0.000',
  unutilisedsellingamount: '0.000',
  customerid: '23456',
});

export const lbDetails = (domain: string, over: Record<string, unknown> = {}) => ({
  orderid: '5551234',
  domainname: domain,
  currentstatus: 'Active',
  orderstatus: ['resellerlock', 'transferlock'],
  domainstatus: ['sixtydaylock'],
  creationtime: '1796000000',
  endtime: '1827536000',
  ns1: 'ns1.acme-hosting.test',
  ns2: 'ns2.acme-hosting.test',
  noOfNameServers: '2',
  isprivacyprotected: 'true',
  domsecret: 'lb-EPP-8f2a',
  customerid: '23456',
  ...over,
});
