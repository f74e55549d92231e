// A real OpenID Provider for jwtlens's tests: node's oidc-provider on 127.0.0.1.
// argv: port, then a JSON config {client_id, client_secret, public_client_id, redirect_uris}.
// Prints "listening <issuer>" once it accepts connections.
import Provider from 'oidc-provider';

const port = Number(process.argv[2]);
const config = JSON.parse(process.argv[3]);
const issuer = `http://127.0.0.1:${port}`;

const grants = ['authorization_code', 'refresh_token', 'client_credentials'];
const provider = new Provider(issuer, {
  clients: [
    {
      client_id: config.client_id,
      client_secret: config.client_secret,
      redirect_uris: config.redirect_uris,
      grant_types: grants,
      response_types: ['code'],
      scope: 'openid profile email offline_access api:read',
    },
    {
      client_id: config.public_client_id,
      token_endpoint_auth_method: 'none',
      redirect_uris: config.redirect_uris,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    },
  ],
  features: {
    devInteractions: { enabled: true },
    introspection: { enabled: true },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      // Only an explicit resource gets a JWT access token; without one the token is opaque (and works at userinfo).
      defaultResource: () => undefined,
      useGrantedResource: () => false,
      getResourceServerInfo: (ctx, resource) => ({
        scope: 'api:read',
        audience: resource,
        accessTokenFormat: 'jwt',
        accessTokenTTL: 600,
      }),
    },
  },
  scopes: ['openid', 'offline_access', 'profile', 'email', 'api:read'],
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  findAccount: async (ctx, id) => ({
    accountId: id,
    claims: async () => ({ sub: id, email: `${id}@example.test`, email_verified: true, name: `User ${id}` }),
  }),
  issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
  pkce: { required: () => true },
  cookies: { keys: ['jwtlens-test-cookie-key'] },
  ttl: { AuthorizationCode: 60, IdToken: 600, AccessToken: 600, Session: 600, Interaction: 600, Grant: 600 },
});
provider.proxy = false;

// Like Keycloak, bind the token endpoint's ID tokens to the access token with at_hash (optional there by
// OIDC Core §3.1.3.6; oidc-provider itself sends it only in authorization responses). An opaque access
// token's value is its jti; IdToken.issue() hashes what is set.
const issue = provider.IdToken.prototype.issue;
provider.IdToken.prototype.issue = async function issueWithAtHash(options) {
  const accessToken = this.ctx && this.ctx.oidc && this.ctx.oidc.entities.AccessToken;
  if (options && options.use === 'idtoken' && accessToken && !this.extra.at_hash && accessToken.format === 'opaque') {
    this.set('at_hash', accessToken.jti);
  }
  return issue.call(this, options);
};

// The tests read stdout for secrets: log every request's method, path and (redacted) query names only.
provider.on('server_error', (ctx, err) => console.log(`server_error ${err && err.message}`));
provider.on('grant.error', (ctx, err) => console.log(`grant.error ${err && err.error} ${err && err.error_description}`));

const server = provider.listen(port, '127.0.0.1', () => console.log(`listening ${issuer}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
