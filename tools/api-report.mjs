// Checks the public API of every package against its committed report, `<package>/etc/*.api.md`.
//
//   node tools/api-report.mjs          check (CI): fails when a built entry point's API differs from its report
//   node tools/api-report.mjs --local  update: rewrites the reports to match the build (commit them)
//
// Each `api-extractor*.json` beside a package.json names one public entry point (a .d.ts in dist/),
// so run it after `npm run build`. `./internals` has no report on purpose: it is not public API.
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { URL, fileURLToPath } from 'node:url';
import apiExtractor from '@microsoft/api-extractor';

const { Extractor, ExtractorConfig } = apiExtractor;
const root = fileURLToPath(new URL('..', import.meta.url));
const local = process.argv.includes('--local');
const packageFolders = ['sdk', 'host', ...readdirSync(join(root, 'plugins')).map((name) => join('plugins', name))];

let failed = 0;
for (const folder of packageFolders) {
  const configs = readdirSync(join(root, folder)).filter((name) => /^api-extractor(\..+)?\.json$/.test(name));
  for (const name of configs.sort()) {
    const config = ExtractorConfig.loadFileAndPrepare(join(root, folder, name));
    if (local) mkdirSync(config.reportFolder, { recursive: true });
    const result = Extractor.invoke(config, {
      localBuild: local,
      showVerboseMessages: false,
    });
    if (result.succeeded) {
      console.log(`${join(folder, name)}: ${result.apiReportChanged ? 'report updated' : 'API unchanged'}`);
    } else {
      failed++;
      console.error(
        `${join(folder, name)}: ${result.errorCount} error(s), ${result.warningCount} warning(s)` +
          (result.apiReportChanged ? ` — the public API differs from its report in ${join(folder, 'etc')}/` : ''),
      );
    }
  }
}
if (failed > 0) {
  console.error(
    `\n${failed} entry point(s) failed. If the API change is intended, run \`npm run api:update\` and commit etc/*.api.md.`,
  );
  process.exitCode = 1;
}
