// Validates Kubernetes objects offline against the API's OpenAPI schemas shipped by the npm package
// kubernetes-models (ESM only, hence this helper in its own process). Input on stdin: a JSON array of
// objects. Output on stdout: a JSON array of problems ({ index, kind, name, error }), empty when valid.
// A kind the package does not know is a problem too: nothing passes unchecked.
const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const objects = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const problems = [];
for (const [index, object] of objects.entries()) {
  const { apiVersion = '', kind = '' } = object ?? {};
  const name = object?.metadata?.name;
  if (!/^[a-zA-Z0-9.]+(\/[a-z0-9]+)?$/.test(apiVersion) || !/^[A-Za-z]+$/.test(kind)) {
    problems.push({ index, kind, name, error: `unknown apiVersion/kind ${apiVersion} ${kind}` });
    continue;
  }
  let Model;
  try {
    Model = (await import(`kubernetes-models/${apiVersion}/${kind}`))[kind];
  } catch {
    problems.push({ index, kind, name, error: `no schema for ${apiVersion} ${kind}` });
    continue;
  }
  try {
    new Model(object).validate();
  } catch (err) {
    problems.push({ index, kind, name, error: String(err?.message ?? err) });
  }
}
process.stdout.write(JSON.stringify(problems));
