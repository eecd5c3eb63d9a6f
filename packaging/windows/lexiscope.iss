; Inno Setup script for the Windows installer: iscc packaging/windows/lexiscope.iss (after PyInstaller built
; dist/lexiscope/). Per-user install (no admin), Start-menu and optional desktop shortcut, uninstaller.
#define AppVersion "0.1.0"

[Setup]
AppId={{6C3F1A52-7E0B-4B8E-9C1E-4C5A1E0D2B11}
AppName=Lexiscope
AppVersion={#AppVersion}
AppPublisher=Lexiscope
DefaultDirName={localappdata}\Programs\Lexiscope
DefaultGroupName=Lexiscope
PrivilegesRequired=lowest
OutputDir=..\..\dist
OutputBaseFilename=lexiscope-{#AppVersion}-setup
SetupIconFile=..\..\build\icons\lexiscope.ico
UninstallDisplayIcon={app}\lexiscope.exe
Compression=lzma2
SolidCompression=yes

[Tasks]
Name: "desktopicon"; Description: "Create a desktop shortcut"; Flags: unchecked

[Files]
Source: "..\..\dist\lexiscope\*"; DestDir: "{app}"; Flags: recursesubdirs ignoreversion

[Icons]
Name: "{group}\Lexiscope"; Filename: "{app}\lexiscope.exe"
Name: "{userdesktop}\Lexiscope"; Filename: "{app}\lexiscope.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\lexiscope.exe"; Description: "Open Lexiscope"; Flags: nowait postinstall skipifsilent
