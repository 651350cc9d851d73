// client.js SOCKET ROOT - the README's Kubernetes check, spoken over the CRI
// (crictl is not packaged in Debian 12). Against a containerd whose CRI
// plugin has the README's `ocirt` handler with options.Root = ROOT, it
// prints what it saw and exits non-zero on the first failed step.
const fs = require('fs');
const grpc = require('@grpc/grpc-js');
const loader = require('@grpc/proto-loader');
const def = loader.loadSync(__dirname + '/cri.proto', { keepCase: true, defaults: true, enums: String });
const rt = grpc.loadPackageDefinition(def).runtime.v1;
const [sock, root] = process.argv.slice(2);
const handler = process.env.HANDLER || 'ocirt';
const c = new rt.RuntimeService('unix://' + sock, grpc.credentials.createInsecure());
const call = (m, req) => new Promise((ok, ko) =>
  c[m](req, { deadline: Date.now() + 60000 }, (e, r) => (e ? ko(new Error(m + ': ' + e.message)) : ok(r))));
const check = (cond, what) => { if (!cond) throw new Error('check failed: ' + what); console.log('ok: ' + what); };

(async () => {
  const st = await call('Status', { verbose: true });
  const cfg = JSON.parse(st.info.config);
  const h = cfg.containerd.runtimes.ocirt;
  console.log('handler ocirt: ' + JSON.stringify({ runtimeType: h.runtimeType, options: h.options }));
  check(h.runtimeType === 'io.containerd.runc.v2' && h.options.BinaryName && h.options.Root === root
        && h.options.SystemdCgroup === false, 'the ocirt handler is loaded with BinaryName, Root and SystemdCgroup');
  console.log('restrictOOMScoreAdj: ' + cfg.restrictOOMScoreAdj);
  // Host network: no CNI plugin is configured. The kubelet sets no hostname
  // for such pods (the UTS namespace is the host's).
  const sandbox_config = {
    metadata: { name: 'hello-ocirt', uid: 'uid-hello-ocirt', namespace: 'default', attempt: 0 },
    log_directory: process.env.LOGDIR,
    linux: { cgroup_parent: process.env.CGROUP_PARENT, security_context: { namespace_options: { network: 'NODE' } } },
  };
  const pod = await call('RunPodSandbox', { config: sandbox_config, runtime_handler: handler });
  try {
    const ps = await call('PodSandboxStatus', { pod_sandbox_id: pod.pod_sandbox_id });
    check(ps.status.state === 'SANDBOX_READY' && ps.status.runtime_handler === handler,
          'RunPodSandbox with runtime_handler ' + handler + ': the sandbox is READY');
    check(fs.existsSync(`${root}/k8s.io/${pod.pod_sandbox_id}/state.json`), 'the sandbox is ocirt\'s: its state is under Root/k8s.io');
    const ctr = await call('CreateContainer', { pod_sandbox_id: pod.pod_sandbox_id, sandbox_config,
      config: { metadata: { name: 'hello' }, image: { image: process.env.IMAGE }, command: ['sleep', '3600'], log_path: 'hello.log' } });
    await call('StartContainer', { container_id: ctr.container_id });
    check(fs.existsSync(`${root}/k8s.io/${ctr.container_id}/state.json`), 'CreateContainer and StartContainer: the container is ocirt\'s');
    const ex = await call('ExecSync', { container_id: ctr.container_id, cmd: ['sh', '-c', 'echo hello from ocirt'], timeout: 10 });
    check(ex.exit_code === 0 && ex.stdout.toString() === 'hello from ocirt\n', 'ExecSync runs in the container');
  } finally {
    await call('StopPodSandbox', { pod_sandbox_id: pod.pod_sandbox_id });
    await call('RemovePodSandbox', { pod_sandbox_id: pod.pod_sandbox_id });
  }
  check(fs.readdirSync(`${root}/k8s.io`).length === 0, 'StopPodSandbox and RemovePodSandbox: no ocirt state is left');
})().catch((e) => { console.error(e.message); process.exit(1); });
