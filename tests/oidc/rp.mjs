// The relying party of the interoperability tests: npm's openid-client (OpenID certified),
// one step per run, its state kept in a JSON file between steps. Every host is dialled on
// 127.0.0.1 (Node does not resolve *.localhost by itself), and plain http is allowed: the
// test issuers are the demo's http://<site>.localhost:PORT.
//
//   node rp.mjs <state.json> start <issuer> <client_id> <client_secret> <redirect_uri>
//   node rp.mjs <state.json> callback <url the browser was sent to>
//   node rp.mjs <state.json> userinfo | refresh | reuse-old-refresh | revoke | end-session <uri>
import { readFileSync, writeFileSync, existsSync } from 'node:fs'
import * as client from 'openid-client'
import { Agent, fetch as undiciFetch } from 'undici'

const loopback = new Agent({
  connect: {
    lookup: (hostname, options, callback) =>
      options && options.all
        ? callback(null, [{ address: '127.0.0.1', family: 4 }])
        : callback(null, '127.0.0.1', 4),
  },
})

const [file, step, ...args] = process.argv.slice(2)
const kept = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {}
const save = () => writeFileSync(file, JSON.stringify(kept))
const say = (value) => process.stdout.write(JSON.stringify(value) + '\n')

async function configuration () {
  const config = await client.discovery(
    new URL(kept.issuer),
    kept.clientId,
    kept.clientSecret,
    client.ClientSecretBasic(kept.clientSecret),
    {
      [client.customFetch]: (url, options) => undiciFetch(url, { ...options, dispatcher: loopback }),
      execute: [client.allowInsecureRequests],
    },
  )
  return config
}

async function main () {
  if (step === 'start') {
    const [issuer, clientId, clientSecret, redirectUri] = args
    Object.assign(kept, { issuer, clientId, clientSecret, redirectUri })
    const config = await configuration()
    kept.verifier = client.randomPKCECodeVerifier()
    kept.nonce = client.randomNonce()
    kept.state = client.randomState()
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: 'openid profile email offline_access',
      code_challenge: await client.calculatePKCECodeChallenge(kept.verifier),
      code_challenge_method: 'S256',
      nonce: kept.nonce,
      state: kept.state,
    })
    save()
    say({ url: url.href, metadata: config.serverMetadata() })
  } else if (step === 'callback') {
    const config = await configuration()
    const tokens = await client.authorizationCodeGrant(config, new URL(args[0]), {
      pkceCodeVerifier: kept.verifier,
      expectedNonce: kept.nonce,
      expectedState: kept.state,
      idTokenExpected: true,
    })
    kept.tokens = { ...tokens }
    kept.claims = tokens.claims()
    save()
    say({ claims: kept.claims, scope: tokens.scope, refresh: Boolean(tokens.refresh_token) })
  } else if (step === 'userinfo') {
    const config = await configuration()
    say(await client.fetchUserInfo(config, kept.tokens.access_token, kept.claims.sub))
  } else if (step === 'refresh') {
    const config = await configuration()
    const tokens = await client.refreshTokenGrant(config, kept.tokens.refresh_token)
    kept.oldRefresh = kept.tokens.refresh_token
    kept.tokens = { ...tokens }
    save()
    say({ rotated: tokens.refresh_token !== kept.oldRefresh, claims: tokens.claims() ?? null })
  } else if (step === 'reuse-old-refresh') {
    const config = await configuration()
    try {
      await client.refreshTokenGrant(config, kept.oldRefresh)
      say({ refused: false })
    } catch (error) {
      say({ refused: true, error: error.error ?? error.code ?? String(error) })
    }
  } else if (step === 'revoke') {
    const config = await configuration()
    await client.tokenRevocation(config, kept.tokens.refresh_token)
    try {
      await client.refreshTokenGrant(config, kept.tokens.refresh_token)
      say({ revoked: false })
    } catch (error) {
      say({ revoked: true, error: error.error ?? error.code ?? String(error) })
    }
  } else if (step === 'end-session') {
    const config = await configuration()
    const url = client.buildEndSessionUrl(config, {
      id_token_hint: kept.tokens.id_token,
      post_logout_redirect_uri: args[0],
      state: 'bye',
    })
    say({ url: url.href })
  } else {
    throw new Error(`unknown step ${step}`)
  }
}

main().catch((error) => {
  process.stderr.write(`${error.name}: ${error.message} ${error.code ?? ''} ${error.error ?? ''}\n`)
  if (error.cause) process.stderr.write(`cause: ${JSON.stringify(error.cause)}\n`)
  process.exit(1)
})
