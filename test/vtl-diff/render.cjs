// Renders VTL cases with velocityjs the way serverless-offline does (silent
// mode, escape: false, its Java String shims), for comparison with
// internal/vtl. Reads [{name, template, body, headers, query, path, context,
// stageVariables}] on stdin, writes [{name, output} | {name, error}].
// velocityjs is resolved from VELOCITYJS_DIR (a directory holding
// node_modules/velocityjs) or from the project's node_modules.
'use strict'
const path = require('path')
const dir = process.env.VELOCITYJS_DIR || path.join(__dirname, '..', '..')
const { Compile, parse } = require(require.resolve('velocityjs', { paths: [dir] }))

// serverless-offline src/events/http/javaHelpers.js: Java methods velocityjs lacks.
const shims = {
  contains(v) { return this.includes(v) },
  equals(o) { return this.toString() === o.toString() },
  equalsIgnoreCase(o) { return o === null ? false : this === o || this.toLowerCase() === o.toLowerCase() },
  matches(v) { return this.match(new RegExp(v, 'm')) },
  replaceFirst(a, b) { return this.replace(new RegExp(a, 'm'), b) },
}

function jsonPath(root, p) {
  if (p === '$') return root
  const parts = p.replace(/^\$\.?/, '').match(/[^.[\]]+|\[\d+\]/g) || []
  let cur = root
  for (const part of parts) {
    if (cur == null) return undefined
    const m = /^\[(\d+)\]$/.exec(part)
    cur = m ? cur[Number(m[1])] : cur[part.replace(/^'|'$/g, '')]
  }
  return cur
}

function contextFor(c) {
  let body
  try { body = c.body ? JSON.parse(c.body) : {} } catch { body = c.body }
  const headers = c.headers || {}, query = c.query || {}, pathParams = c.path || {}
  return {
    input: {
      body: c.body || '',
      json: (x) => JSON.stringify(jsonPath(body, x)),
      path: (x) => jsonPath(body, x),
      params: (x) => typeof x === 'string'
        ? pathParams[x] || query[x] || headers[x]
        : { path: pathParams, querystring: query, header: headers },
    },
    util: {
      escapeJavaScript: (x) => require('util').format('%s', x).replace(/[\\"'\/]/g, (m) => '\\' + m),
      parseJson: JSON.parse,
      urlEncode: encodeURI,
      urlDecode: (x) => decodeURIComponent(x.replace(/\+/g, ' ')),
      base64Encode: (x) => Buffer.from(x.toString(), 'binary').toString('base64'),
      base64Decode: (x) => Buffer.from(x.toString(), 'base64').toString('binary'),
    },
    context: c.context || {},
    stageVariables: c.stageVariables || {},
  }
}

let input = ''
process.stdin.on('data', (d) => { input += d })
process.stdin.on('end', () => {
  const saved = {}
  for (const k of Object.keys(shims)) { saved[k] = String.prototype[k]; String.prototype[k] = shims[k] }
  const out = JSON.parse(input).map((c) => {
    try {
      return { name: c.name, output: new Compile(parse(c.template), { escape: false }).render(contextFor(c), null, true) }
    } catch (e) {
      return { name: c.name, error: String(e && e.message || e) }
    }
  })
  for (const k of Object.keys(shims)) { String.prototype[k] = saved[k] }
  process.stdout.write(JSON.stringify(out))
})
