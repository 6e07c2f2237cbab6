#!/usr/bin/env node
// Packs node-red-contrib-loopgate as a plant's integrator installs it: one tarball that carries
// the unpublished workspace packages it imports (@loopgate/contracts, @loopgate/rules) as
// bundled dependencies and declares everything else for npm to fetch. `npm pack -w nodes` cannot
// do this (npm bundles only what sits in the package's own node_modules, and workspaces are
// hoisted symlinks), so the package is staged in a temporary folder and packed from there.
//
//   node nodes/scripts/pack.js [--out <dir>]     prints the tarball's path on the last line
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { writeExamples } = require('./examples');

const NODES = path.resolve(__dirname, '..');
const REPO = path.resolve(NODES, '..');
const WORKSPACE_SCOPE = '@loopgate/';

function readJson(file) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

function npm(args, cwd) {
  const result = spawnSync('npm', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, npm_config_update_notifier: 'false' },
  });
  if (result.status !== 0) throw new Error(`npm ${args.join(' ')} failed:\n${result.stderr}`);
  return result.stdout;
}

/** The workspace folder of each `@loopgate/*` package, from the root's workspace list. */
function workspaceFolders() {
  const folders = {};
  for (const dir of readJson(path.join(REPO, 'package.json')).workspaces)
    folders[readJson(path.join(REPO, dir, 'package.json')).name] = dir;
  return folders;
}

/**
 * The palette's package.json as published: the workspace packages it imports (and theirs, in
 * turn) bundled, their registry dependencies declared, one version for all of them.
 */
function publishedManifest(palette, folders) {
  const rootVersion = readJson(path.join(REPO, 'package.json')).version;
  const bundled = [];
  const dependencies = { ...palette.dependencies };
  const queue = Object.keys(palette.dependencies).filter((name) => name.startsWith(WORKSPACE_SCOPE));
  const problems = [];
  if (palette.version !== rootVersion)
    problems.push(`${palette.name} is ${palette.version}, the workspace ${rootVersion}`);
  while (queue.length > 0) {
    const name = queue.shift();
    if (bundled.includes(name)) continue;
    if (!folders[name]) throw new Error(`${name} is not a workspace package`);
    bundled.push(name);
    const manifest = readJson(path.join(REPO, folders[name], 'package.json'));
    if (manifest.version !== rootVersion) problems.push(`${name} is ${manifest.version}, the workspace ${rootVersion}`);
    for (const [dep, range] of Object.entries(manifest.dependencies ?? {})) {
      if (dep.startsWith(WORKSPACE_SCOPE)) {
        queue.push(dep);
        continue;
      }
      if (dependencies[dep] !== undefined && dependencies[dep] !== range)
        problems.push(`${dep}: ${palette.name} asks ${dependencies[dep]}, ${name} asks ${range}`);
      dependencies[dep] = range;
    }
  }
  for (const name of bundled)
    if (dependencies[name] !== undefined && dependencies[name] !== rootVersion)
      problems.push(`${palette.name} pins ${name}@${dependencies[name]}, the workspace is ${rootVersion}`);
  if (problems.length > 0) throw new Error(`not versioned together:\n  ${problems.join('\n  ')}`);
  for (const name of bundled) dependencies[name] = rootVersion;
  const { scripts: _scripts, devDependencies: _dev, ...rest } = palette;
  return {
    ...rest,
    files: [...new Set([...(palette.files ?? []), 'examples'])],
    dependencies: Object.fromEntries(Object.entries(dependencies).sort(([a], [b]) => a.localeCompare(b))),
    bundleDependencies: bundled,
  };
}

/** Packs the palette into `outDir` and returns the tarball's path. Needs `npm run build` first. */
function packPalette(outDir) {
  const palette = readJson(path.join(NODES, 'package.json'));
  const missing = Object.values(palette['node-red'].nodes).filter((file) => !fs.existsSync(path.join(NODES, file)));
  if (missing.length > 0) throw new Error(`run npm run build first; missing ${missing.join(', ')}`);
  const folders = workspaceFolders();
  const manifest = publishedManifest(palette, folders);

  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'loopgate-palette-pack-'));
  try {
    const stage = path.join(work, 'package');
    fs.mkdirSync(stage);
    for (const entry of [...(palette.files ?? []).filter((f) => f !== 'examples'), 'README.md', 'LICENSE']) {
      const from = path.join(NODES, entry);
      if (fs.existsSync(from))
        fs.cpSync(from, path.join(stage, entry), {
          recursive: true,
          filter: (src) => !src.endsWith('.tsbuildinfo'),
        });
    }
    writeExamples(path.join(stage, 'examples'));
    fs.writeFileSync(path.join(stage, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);

    // Each bundled package exactly as npm would publish it (its own `files`), unpacked in place.
    for (const name of manifest.bundleDependencies) {
      const [packed] = JSON.parse(
        npm(['pack', '-w', folders[name], '--json', '--ignore-scripts', '--pack-destination', work], REPO),
      );
      const into = path.join(stage, 'node_modules', name);
      fs.mkdirSync(into, { recursive: true });
      const tar = spawnSync('tar', ['-xzf', path.join(work, packed.filename), '-C', into, '--strip-components=1']);
      if (tar.status !== 0) throw new Error(`tar could not unpack ${packed.filename}: ${tar.stderr}`);
      fs.rmSync(path.join(into, 'dist', '.tsbuildinfo'), { force: true });
    }

    fs.mkdirSync(outDir, { recursive: true });
    const [result] = JSON.parse(
      npm(['pack', '--json', '--ignore-scripts', '--pack-destination', path.resolve(outDir)], stage),
    );
    return path.join(path.resolve(outDir), result.filename);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

module.exports = { packPalette, publishedManifest, workspaceFolders };

if (require.main === module) {
  const at = process.argv.indexOf('--out');
  const outDir = at > 0 ? process.argv[at + 1] : path.join(REPO, 'dist', 'palette');
  try {
    console.log(packPalette(outDir));
  } catch (error) {
    console.error(`node-red-contrib-loopgate: ${error.message}`);
    process.exit(1);
  }
}
