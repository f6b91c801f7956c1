// An OpenID Connect provider (panva/oidc-provider) over HTTPS on loopback for the portal's browser test.
// Usage: node provider.mjs <settings.json>. Settings: { key, cert (PEM files), host, clientId, clientSecret, usersFile }.
// usersFile maps a login to { name, groups } and is read at every sign-in, so a test changes a user's groups "at the
// provider" by rewriting it. It prints "listening <issuer>", then reads the client's redirect URI (known once the
// portal runs) as one line on stdin, and prints "ready" when it serves.
import fs from 'node:fs';
import https from 'node:https';
import readline from 'node:readline';
import Provider from 'oidc-provider';

const settings = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const server = https.createServer({ key: fs.readFileSync(settings.key), cert: fs.readFileSync(settings.cert) });

server.listen(0, '127.0.0.1', async () => {
  const issuer = `https://${settings.host}:${server.address().port}`;
  console.log(`listening ${issuer}`);
  const lines = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  const redirectUri = (await lines.next()).value.trim();
  const provider = new Provider(issuer, {
    clients: [{
      client_id: settings.clientId,
      client_secret: settings.clientSecret,
      redirect_uris: [redirectUri],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
    }],
    claims: {
      openid: ['sub'],
      profile: ['name', 'preferred_username', 'groups'],
      email: ['email'],
    },
    // Like most providers, put the profile claims (the groups) in the ID token, not only behind the user info endpoint.
    conformIdTokenClaims: false,
    cookies: { keys: ['portal-tests-only'] },
    pkce: { required: () => true },
    features: { devInteractions: { enabled: true } },
    async findAccount(ctx, id) {
      const users = JSON.parse(fs.readFileSync(settings.usersFile, 'utf8'));
      const user = users[id];
      if (!user) {
        return undefined;
      }

      return {
        accountId: id,
        async claims() {
          return { sub: id, preferred_username: id, name: user.name, email: `${id}@example.com`, groups: user.groups };
        },
      };
    },
  });
  provider.proxy = false;
  server.on('request', provider.callback());
  console.log('ready');
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
