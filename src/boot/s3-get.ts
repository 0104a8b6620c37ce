/**
 * Shell functions of the boot script that fetch an object of the cluster's S3 prefix before the
 * host has any Node.js: an IMDSv2 session token, the instance role's temporary credentials, then
 * one Signature Version 4 signed GET with `curl`. HMAC-SHA256 is built from `sha256sum` and `od`
 * (coreutils: on every image tugboat boots, unlike `openssl`, `xxd` or `jq`), so no key or token
 * ever appears in a process's arguments: they go through shell builtins and pipes, and the
 * request's credential headers reach curl on its standard input (`-H @-`).
 *
 * Needs, set by the caller: `bucket`, `region`. Reads `AWS_EC2_METADATA_SERVICE_ENDPOINT` and
 * `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL` as the AWS SDKs do (path-style addressing for a custom
 * endpoint; read with `printenv`, so `set -u` allows them unset). Defines:
 * - `tb_bin HEX`: a printf format writing those bytes;
 * - `tb_hmac KEYHEX MESSAGE`: HMAC-SHA256, hex;
 * - `tb_sigv4_key SECRET DAY REGION SERVICE`: the SigV4 signing key, hex;
 * - `s3_get KEY OUT`: `s3://$bucket/KEY` into OUT (mode 0600); non-zero and one line on stderr
 *   saying why (S3's status and error code, or what was unreachable) on failure.
 *
 * Holds no `${` (CloudFormation's Fn::Sub would take it for a reference) and no single quote
 * outside quoted literals.
 */
export const S3_GET_SH = String.raw`tb_bin() {
  f=''
  for b in $(printf '%s' "$1" | sed 's/../& /g'); do x=$((0x$b)); f="$f\\$((x / 64))$((x / 8 % 8))$((x % 8))"; done
  printf '%s' "$f"
}
tb_hmac() {
  k=$1
  [ "$(printf '%s' "$k" | wc -c)" -le 128 ] || k=$(printf "$(tb_bin "$k")" | sha256sum | cut -c1-64)
  i=''; o=''; n=0
  for b in $(printf '%s' "$k" | sed 's/../& /g'); do
    x=$((0x$b ^ 54)); i="$i\\$((x / 64))$((x / 8 % 8))$((x % 8))"
    x=$((0x$b ^ 92)); o="$o\\$((x / 64))$((x / 8 % 8))$((x % 8))"
    n=$((n + 1))
  done
  while [ "$n" -lt 64 ]; do i="$i\\066"; o="$o\\134"; n=$((n + 1)); done
  h=$({ printf "$i"; printf '%s' "$2"; } | sha256sum | cut -c1-64)
  { printf "$o"; printf "$(tb_bin "$h")"; } | sha256sum | cut -c1-64
}
tb_sigv4_key() {
  k=$(printf 'AWS4%s' "$1" | od -An -v -tx1 | tr -d ' \n')
  for part in "$2" "$3" "$4" aws4_request; do k=$(tb_hmac "$k" "$part"); done
  printf '%s\n' "$k"
}
tb_json() { printf '%s\n' "$2" | sed -n "s/.*\"$1\" *: *\"\([^\"]*\)\".*/\1/p" | head -n 1; }
s3_get() {
  case "$1" in '' | *[!A-Za-z0-9._/-]*) echo "s3_get: unexpected key: $1" >&2; return 1 ;; esac
  imds=$(printenv AWS_EC2_METADATA_SERVICE_ENDPOINT | sed 's:/*$::')
  [ -n "$imds" ] || imds=http://169.254.169.254
  md="$imds/latest/meta-data/iam/security-credentials/"
  tok=$(curl -fsS --retry 5 --retry-connrefused --max-time 10 -X PUT -H 'x-aws-ec2-metadata-token-ttl-seconds: 300' "$imds/latest/api/token") || { echo "IMDSv2 token: $imds unreachable" >&2; return 1; }
  rn=$(printf 'x-aws-ec2-metadata-token: %s\n' "$tok" | curl -fsS --retry 5 --max-time 10 -H @- "$md" | head -n 1) || { echo "instance role: $md unreachable" >&2; return 1; }
  [ -n "$rn" ] || { echo "the instance has no IAM role (no instance profile)" >&2; return 1; }
  cr=$(printf 'x-aws-ec2-metadata-token: %s\n' "$tok" | curl -fsS --retry 5 --max-time 10 -H @- "$md$rn") || { echo "role credentials: $md$rn unreachable" >&2; return 1; }
  ak=$(tb_json AccessKeyId "$cr"); sk=$(tb_json SecretAccessKey "$cr"); st=$(tb_json Token "$cr")
  [ -n "$ak" ] && [ -n "$sk" ] || { echo "role credentials: no AccessKeyId/SecretAccessKey from $md$rn" >&2; return 1; }
  ep=$(printenv AWS_ENDPOINT_URL_S3 | sed 's:/*$::')
  [ -n "$ep" ] || ep=$(printenv AWS_ENDPOINT_URL | sed 's:/*$::')
  if [ -n "$ep" ]; then url="$ep/$bucket/$1"; else url="https://$bucket.s3.$region.amazonaws.com/$1"; fi
  host=$(printf '%s' "$url" | sed 's|^[a-z]*://||; s|/.*||')
  path=/$(printf '%s' "$url" | sed 's|^[a-z]*://[^/]*/||')
  now=$(date -u +%Y%m%dT%H%M%SZ); day=$(printf '%s' "$now" | cut -c1-8)
  e=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
  sh_h='host;x-amz-content-sha256;x-amz-date'; [ -z "$st" ] || sh_h="$sh_h;x-amz-security-token"
  ch=$({ printf 'GET\n%s\n\nhost:%s\nx-amz-content-sha256:%s\nx-amz-date:%s\n' "$path" "$host" "$e" "$now"
    [ -z "$st" ] || printf 'x-amz-security-token:%s\n' "$st"
    printf '\n%s\n%s' "$sh_h" "$e"; } | sha256sum | cut -c1-64)
  scope="$day/$region/s3/aws4_request"
  sig=$(tb_hmac "$(tb_sigv4_key "$sk" "$day" "$region" s3)" "$(printf 'AWS4-HMAC-SHA256\n%s\n%s\n%s' "$now" "$scope" "$ch")")
  code=$({ printf 'x-amz-content-sha256: %s\nx-amz-date: %s\n' "$e" "$now"
    [ -z "$st" ] || printf 'x-amz-security-token: %s\n' "$st"
    printf 'Authorization: AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s\n' "$ak" "$scope" "$sh_h" "$sig"
  } | (umask 077; curl -sS --retry 3 --retry-connrefused --max-time 300 -H @- -o "$2" -w '%{http_code}' "$url")) || { rm -f "$2"; echo "S3 GET s3://$bucket/$1: $url unreachable" >&2; return 1; }
  [ "$code" = 200 ] || { m=$(head -c 300 "$2" 2>/dev/null | tr -s ' \n\t\r' ' '); rm -f "$2"; echo "S3 GET s3://$bucket/$1 answered $code $m" >&2; return 1; }
}
`;
