/**
 * The program a booting instance runs (with the pinned Node.js, before anything of tugboat is on
 * it) to fetch its host bundle from S3: an IMDSv2 session token, the instance role's temporary
 * credentials, then one Signature Version 4 signed GET written to a file. It is JavaScript run by
 * the runtime rather than `curl` with hand-made signing in shell, and it is part of the user-data
 * rather than of the bundle because it is what fetches the bundle.
 *
 * Environment: TB_REGION, TB_BUCKET, TB_KEY, TB_OUT; `AWS_EC2_METADATA_SERVICE_ENDPOINT` and
 * `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL` as the AWS SDKs read them (path-style addressing for a
 * custom endpoint). It holds no `${` so CloudFormation's Fn::Sub leaves it as it is, and no single
 * quote, so it fits in a quoted here-document.
 */
export const S3_FETCHER_JS = String.raw`const c = require("crypto"), fs = require("fs"), e = process.env;
const need = (k) => { if (!e[k]) throw new Error(k + " is not set"); return e[k]; };
const imds = (e.AWS_EC2_METADATA_SERVICE_ENDPOINT || "http://169.254.169.254").replace(/\/$/, "");
const sha = (d) => c.createHash("sha256").update(d).digest("hex");
const hmac = (k, d) => c.createHmac("sha256", k).update(d).digest();
async function call(what, url, init) {
  let r;
  for (let i = 0; ; i++) {
    try { r = await fetch(url, { ...init, signal: AbortSignal.timeout(30000) }); }
    catch (err) { r = undefined; if (i >= 4) throw new Error(what + ": " + url + " unreachable (" + err.message + ")"); }
    if (r && (r.ok || r.status < 500 || i >= 4)) break;
    await new Promise((ok) => setTimeout(ok, 500 * 2 ** i));
  }
  if (!r.ok) throw new Error(what + ": " + url + " answered " + r.status + " " + (await r.text()).replace(/\s+/g, " ").slice(0, 300));
  return r;
}
async function main() {
  const region = need("TB_REGION"), bucket = need("TB_BUCKET"), key = need("TB_KEY"), out = need("TB_OUT");
  const token = await (await call("IMDSv2 token", imds + "/latest/api/token",
    { method: "PUT", headers: { "x-aws-ec2-metadata-token-ttl-seconds": "300" } })).text();
  const h = { "x-aws-ec2-metadata-token": token };
  const roles = await (await call("instance role", imds + "/latest/meta-data/iam/security-credentials/", { headers: h })).text();
  const role = roles.split("\n")[0].trim();
  if (!role) throw new Error("the instance has no IAM role (no instance profile)");
  const cr = await (await call("role credentials", imds + "/latest/meta-data/iam/security-credentials/" + role, { headers: h })).json();
  const custom = e.AWS_ENDPOINT_URL_S3 || e.AWS_ENDPOINT_URL;
  const path = key.split("/").map(encodeURIComponent).join("/");
  const url = new URL(custom ? custom.replace(/\/$/, "") + "/" + bucket + "/" + path
    : "https://" + bucket + ".s3." + region + ".amazonaws.com/" + path);
  const now = new Date().toISOString().replace(/[-:]|\.\d{3}/g, "");
  const day = now.slice(0, 8), empty = sha("");
  const headers = { host: url.host, "x-amz-content-sha256": empty, "x-amz-date": now };
  if (cr.Token) headers["x-amz-security-token"] = cr.Token;
  const names = Object.keys(headers).sort();
  const canonical = ["GET", url.pathname, "", names.map((n) => n + ":" + headers[n] + "\n").join(""),
    names.join(";"), empty].join("\n");
  const scope = day + "/" + region + "/s3/aws4_request";
  const toSign = ["AWS4-HMAC-SHA256", now, scope, sha(canonical)].join("\n");
  let k = hmac("AWS4" + cr.SecretAccessKey, day);
  for (const part of [region, "s3", "aws4_request"]) k = hmac(k, part);
  const sig = c.createHmac("sha256", k).update(toSign).digest("hex");
  headers.authorization = "AWS4-HMAC-SHA256 Credential=" + cr.AccessKeyId + "/" + scope +
    ", SignedHeaders=" + names.join(";") + ", Signature=" + sig;
  delete headers.host;
  const res = await call("S3 GET s3://" + bucket + "/" + key, url, { headers });
  fs.writeFileSync(out, Buffer.from(await res.arrayBuffer()), { mode: 0o600 });
}
main().catch((err) => { process.stderr.write(err.message + "\n"); process.exit(1); });
`;
