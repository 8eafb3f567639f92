// A real OpenID provider for tests/oidc.rs and tests/browser_oidc.rs: npm's certified
// `oidc-provider`, on 127.0.0.1, with one static client, a `groups` claim, a scripted login page
// (any account name signs in; the groups come from ACCOUNTS) and no consent step.
//
//   node provider.mjs   with PORT, CLIENT_SECRET, REDIRECT_URI, AFTER_LOGOUT_URI in the environment
//
// It prints `ready <issuer>` once it listens. Test knobs (only here, never in a real provider):
//   POST /__test/rotate   from now on sign with a new key, and publish only that one
//   POST /__test/tamper   the next token answer's ID token gets the JSON body's claims (e.g.
//                         {"aud":"someone-else"} or {"exp":1}), re-signed with the current key
// OIDC_PROVIDER_DIR is the folder scripts/lib/prerequisites.sh installed the package into.
import http from 'node:http';
import { generateKeyPairSync, sign } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const entry = join(process.env.OIDC_PROVIDER_DIR, 'node_modules', 'oidc-provider', 'lib', 'index.js');
const { default: Provider } = await import(pathToFileURL(entry).href);

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;
const ACCOUNTS = {
  alice: ['chrontainer-admins', 'staff'],
  victor: ['chrontainer-viewers'],
  nobody: ['staff'],
};

function newKey(kid) {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { kid, privateKey, jwk: { ...privateKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' } };
}

let tamper = null;

function b64(value) {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}

function resign(idToken, key, changes) {
  const payload = JSON.parse(Buffer.from(idToken.split('.')[1], 'base64url').toString());
  const input = `${b64({ alg: 'RS256', typ: 'JWT', kid: key.kid })}.${b64({ ...payload, ...changes })}`;
  return `${input}.${sign('sha256', Buffer.from(input), key.privateKey).toString('base64url')}`;
}

function makeProvider(key) {
  const provider = new Provider(issuer, {
    clients: [{
      client_id: 'chrontainer',
      client_secret: process.env.CLIENT_SECRET,
      redirect_uris: [process.env.REDIRECT_URI],
      post_logout_redirect_uris: [process.env.AFTER_LOGOUT_URI],
      grant_types: ['authorization_code'],
      response_types: ['code'],
    }],
    jwks: { keys: [key.jwk] },
    cookies: { keys: ['a cookie key of the test provider'] },
    claims: {
      openid: ['sub'],
      profile: ['preferred_username', 'name'],
      email: ['email'],
      groups: ['groups'],
    },
    findAccount: async (ctx, id) => ({
      accountId: id,
      claims: async () => ({
        sub: `sub-${id}`,
        preferred_username: id,
        name: id,
        email: `${id}@example.test`,
        groups: ACCOUNTS[id] ?? [],
      }),
    }),
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    features: { devInteractions: { enabled: false }, rpInitiatedLogout: { enabled: true } },
    // a first-party client: no consent step
    loadExistingGrant: async (ctx) => {
      const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
      grant.addOIDCScope('openid profile email groups');
      await grant.save();
      return grant;
    },
  });
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.path === '/token' && tamper && ctx.body?.id_token) {
      ctx.body = { ...ctx.body, id_token: resign(ctx.body.id_token, key, tamper) };
      tamper = null;
    }
  });
  return provider;
}

let current = makeProvider(newKey('key-1'));
let rotations = 1;

function readBody(req) {
  return new Promise((resolve, reject) => {
    let data = '';
    req.on('data', (chunk) => { data += chunk; });
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}

const loginPage = (uid, error) => `<!doctype html><html><head><title>Test provider</title></head><body>
<h1>Test provider sign-in</h1>${error ? `<p id="error">${error}</p>` : ''}
<form method="post" action="/interaction/${uid}">
<label for="login">Account</label> <input id="login" name="login" autofocus>
<button type="submit" id="sign-in">Sign in</button></form></body></html>`;

const server = http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url, issuer);
    if (url.pathname === '/__test/rotate' && req.method === 'POST') {
      rotations += 1;
      current = makeProvider(newKey(`key-${rotations}`));
      res.end('rotated');
      return;
    }
    if (url.pathname === '/__test/tamper' && req.method === 'POST') {
      tamper = JSON.parse(await readBody(req));
      res.end('armed');
      return;
    }
    const interaction = url.pathname.match(/^\/interaction\/([\w-]+)$/);
    if (interaction) {
      const details = await current.interactionDetails(req, res);
      if (req.method === 'GET') {
        res.setHeader('content-type', 'text/html; charset=utf-8');
        res.end(loginPage(details.uid));
        return;
      }
      const login = new URLSearchParams(await readBody(req)).get('login')?.trim();
      if (!login) {
        res.setHeader('content-type', 'text/html; charset=utf-8');
        res.end(loginPage(details.uid, 'name an account'));
        return;
      }
      await current.interactionFinished(req, res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
      return;
    }
    current.callback()(req, res);
  } catch (e) {
    res.statusCode = 500;
    res.end(String(e));
  }
});

server.listen(port, '127.0.0.1', () => console.log(`ready ${issuer}`));
