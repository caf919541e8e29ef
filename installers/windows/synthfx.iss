; SPDX-License-Identifier: Apache-2.0
; Inno Setup script: installs a Windows build of synthfx.ofx.bundle into the OFX plugin folder.
; Needs a bundle built on Windows (Contents\Win64\synthfx.ofx); not built in CI (Linux only).
;   iscc /DBundle=path\to\synthfx.ofx.bundle /DVersion=0.1.0 installers\windows\synthfx.iss
[Setup]
AppName=synthfx OpenFX plugin
AppVersion={#Version}
DefaultDirName={commoncf64}\OFX\Plugins
DisableDirPage=yes
ArchitecturesInstallIn64BitMode=x64
OutputBaseFilename=synthfx-ofx-{#Version}

[Files]
Source: "{#Bundle}\*"; DestDir: "{commoncf64}\OFX\Plugins\synthfx.ofx.bundle"; Flags: recursesubdirs
